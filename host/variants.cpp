#include "host/variants.hpp"

namespace host {

const std::vector<VariantInfo>& variant_catalogue() {
  static const std::vector<VariantInfo> k = {
      {"BP-02", &Variants::bp02, "set_live does not kick the requeue work"},
      {"BP-03", &Variants::bp03, "no DISK_LIVE test, no kick on head removal"},
      {"BP-04", &Variants::bp04, "park while head->list is non-empty; no kick before namespace removal"},
      {"BP-05", &Variants::bp05, "ANA log re-read returns groups only: ANA_PENDING never cleared"},
      {"BP-06", &Variants::bp06, "ANA lockstep walk skips an NSID after a host gap"},
      {"BP-07", &Variants::bp07, "reset the controller on an unknown error status"},
      {"BP-08", &Variants::bp08, "4.15 error classification; cancel with Abort Requested"},
      {"BP-09", &Variants::bp09, "synchronous partition read blocks the subsystem's scan work"},
      {"BP-10", &Variants::bp10, "set_live while CONNECTING; reconnect waits for that I/O"},
      {"BP-11", &Variants::bp11, "ANA update waits for the head's I/O"},
      {"BP-12", &Variants::bp12, "DELETING paths disabled; removal waits for parked I/O"},
      {"BP-13", &Variants::bp13, "cancel vs CQE race: double completion"},
      {"BP-14", &Variants::bp14, "partial completion on failover"},
      {"BP-15", &Variants::bp15, "cancelled I/O fails instead of failing over"},
      {"BP-16", &Variants::bp16, "removed path keeps its cursors"},
      {"BP-17", &Variants::bp17, "available_path ignores fast-fail"},
      {"BP-20", &Variants::bp20, "no requeue kick on LIVE"},
      {"BP-21", &Variants::bp21, "iopolicy change keeps the cursors"},
  };
  return k;
}

bool is_mainline_property(const std::string& id) { return id == "BP-01" || id == "BP-18" || id == "BP-19"; }

Variants variants_from(const std::vector<std::string>& ids) {
  Variants v;
  for (const auto& id : ids)
    for (const auto& info : variant_catalogue())
      if (id == info.id) v.*info.flag = true;
  return v;
}

bool Variants::any() const {
  for (const auto& info : variant_catalogue())
    if (this->*info.flag) return true;
  return false;
}

}  // namespace host
