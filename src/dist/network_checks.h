#pragma once
// An address that cannot work across machines, found before a multi-node job
// waits for its ranks: a host name that resolves to a loopback address, which
// Gloo would hand to the other machines as this rank's address (Debian's
// /etc/hosts maps the host name to 127.0.1.1 by default). The job would hang
// until the timeout; here it is one clear error naming the fix.
#include <optional>
#include <string>
#include <vector>

#include "dist/launch_environment.h"

namespace trainbench::dist {

// Whether `address` (a name or a numeric IPv4/IPv6 address) is this
// machine's loopback: localhost, 127.0.0.0/8, ::1.
bool is_loopback_address(const std::string& address);

// The numeric addresses `host` resolves to (empty when it does not).
std::vector<std::string> resolve_host(const std::string& host);

// This machine's host name (gethostname).
std::string this_host_name();

struct HostFacts {
  std::string host_name;
  std::vector<std::string> host_addresses;  // what host_name resolves to
  bool interface_chosen = false;            // GLOO_SOCKET_IFNAME is set
  bool uses_gloo = true;
};

// The problem with `identity`'s addresses for a job that spans machines
// (world_size > local_world_size), as a message naming GLOO_SOCKET_IFNAME;
// nullopt when there is none, or the job is on one machine, or its master is
// the loopback (machines simulated on one host, where Gloo binds loopback too).
std::optional<std::string> cross_node_address_problem(const LaunchIdentity& identity, const HostFacts& host);

}  // namespace trainbench::dist
