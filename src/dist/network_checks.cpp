#include "dist/network_checks.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>

#include "core/text.h"

namespace trainbench::dist {

bool is_loopback_address(const std::string& address) {
  const std::string text = core::lowercase(core::trim(address));
  if (text == "localhost" || text == "localhost.localdomain" || text == "ip6-localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127;
  }
  return false;
}

std::vector<std::string> resolve_host(const std::string& host) {
  std::vector<std::string> addresses;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0) return addresses;
  for (const addrinfo* entry = found; entry != nullptr; entry = entry->ai_next) {
    char text[INET6_ADDRSTRLEN] = {0};
    const void* raw = entry->ai_family == AF_INET
                          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(entry->ai_addr)->sin_addr)
                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(entry->ai_addr)->sin6_addr);
    if (inet_ntop(entry->ai_family, raw, text, sizeof text) != nullptr &&
        std::find(addresses.begin(), addresses.end(), text) == addresses.end()) {
      addresses.emplace_back(text);
    }
  }
  freeaddrinfo(found);
  return addresses;
}

std::string this_host_name() {
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

std::optional<std::string> cross_node_address_problem(const LaunchIdentity& identity, const HostFacts& host) {
  if (identity.world_size <= identity.local_world_size) return std::nullopt;  // one machine
  const std::string nodes = "the job spans machines (" + std::to_string(identity.world_size) + " ranks, " +
                            std::to_string(identity.local_world_size) + " on this one)";
  // A loopback master is how "machines" are simulated on one machine (tests,
  // launch --nnodes on one host): Gloo then binds to loopback as well.
  if (is_loopback_address(identity.master_address)) return std::nullopt;
  if (host.uses_gloo && !host.interface_chosen && !host.host_addresses.empty() &&
      std::all_of(host.host_addresses.begin(), host.host_addresses.end(), is_loopback_address)) {
    return "this machine's host name '" + host.host_name + "' resolves to " + core::join(host.host_addresses) +
           ", a loopback address, which Gloo would give the other machines to reach rank " +
           std::to_string(identity.rank) + ", but " + nodes +
           " (MASTER_ADDR " + identity.master_address +
           "). Set GLOO_SOCKET_IFNAME to the network interface the machines share (e.g. eth0, ib0; see `ip addr`), "
           "or map the host name to that interface's address in /etc/hosts";
  }
  return std::nullopt;
}

}  // namespace trainbench::dist
