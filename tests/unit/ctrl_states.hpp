#pragma once
// The host controller state machine as the tests see it, written out independently of
// host/core.cpp: the allowed-transition table of semantics 5.2 (6.x kernels) and a legal path of
// transitions from NEW to each state.
#include <vector>

#include "host/nvme.hpp"

namespace test_support {

using host::CtrlState;

// Transitions that take a NEW controller to `s` (empty for NEW itself).
inline std::vector<CtrlState> path_to(CtrlState s) {
  switch (s) {
    case CtrlState::New: return {};
    case CtrlState::Live: return {CtrlState::Connecting, CtrlState::Live};
    case CtrlState::Resetting: return {CtrlState::Resetting};
    case CtrlState::Connecting: return {CtrlState::Connecting};
    case CtrlState::Deleting: return {CtrlState::Connecting, CtrlState::Live, CtrlState::Deleting};
    case CtrlState::DeletingNoIo:
      return {CtrlState::Connecting, CtrlState::Deleting, CtrlState::DeletingNoIo};
    case CtrlState::Dead: return {CtrlState::Connecting, CtrlState::Deleting, CtrlState::Dead};
  }
  return {};
}

// The table of semantics 5.2 (6.x).
inline bool allowed_6x(CtrlState from, CtrlState to) {
  using S = CtrlState;
  switch (to) {
    case S::Live: return from == S::Connecting;
    case S::Resetting: return from == S::New || from == S::Live;
    case S::Connecting: return from == S::New || from == S::Resetting;
    case S::Deleting: return from == S::Live || from == S::Resetting || from == S::Connecting;
    case S::DeletingNoIo: return from == S::Deleting || from == S::Dead;
    case S::Dead: return from == S::Deleting;
    case S::New: return false;
  }
  return false;
}

}  // namespace test_support
