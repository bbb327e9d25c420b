#include "sim/nvme/nvme.hpp"

namespace sim::nvme {

AnaState from_scenario(scenario::AnaState s) {
  switch (s) {
    case scenario::AnaState::Optimized: return AnaState::Optimized;
    case scenario::AnaState::NonOptimized: return AnaState::NonOptimized;
    case scenario::AnaState::Inaccessible: return AnaState::Inaccessible;
    case scenario::AnaState::PersistentLoss: return AnaState::PersistentLoss;
    case scenario::AnaState::Change: return AnaState::Change;
  }
  return AnaState::Optimized;
}

const char* to_string(AnaState s) {
  switch (s) {
    case AnaState::Optimized: return "optimized";
    case AnaState::NonOptimized: return "non-optimized";
    case AnaState::Inaccessible: return "inaccessible";
    case AnaState::PersistentLoss: return "persistent-loss";
    case AnaState::Change: return "change";
  }
  return "invalid state";
}

}  // namespace sim::nvme
