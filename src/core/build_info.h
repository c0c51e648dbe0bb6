#pragma once
// Which source this binary was built from. The commit comes from a file that
// cmake/build_info.cmake writes at every build (not at configure time, which
// would keep recording the commit of the first configure).

namespace trainbench::core {

// Short git hash, with "-dirty" when tracked files had uncommitted changes;
// "unknown" when built outside a git checkout.
const char* git_commit();

}  // namespace trainbench::core
