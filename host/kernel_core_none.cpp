// Built without NVMSIM_KERNEL_BACKEND: no kernel core (`core: linux` exits 2 at load time).
#include "host/kernel_core.hpp"

namespace host {

std::vector<std::string> kernel_core_versions() { return {}; }
std::unique_ptr<KernelCore> make_kernel_core(Host&, const std::string&) { return nullptr; }

}  // namespace host
