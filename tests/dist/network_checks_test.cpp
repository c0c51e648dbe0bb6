#include "dist/network_checks.h"

#include <gtest/gtest.h>

namespace trainbench::dist {
namespace {

LaunchIdentity two_machines(const std::string& master) {
  LaunchIdentity identity;
  identity.launcher = "torchrun";
  identity.rank = 2;
  identity.world_size = 4;
  identity.local_world_size = 2;
  identity.master_address = master;
  return identity;
}

TEST(NetworkChecks, LoopbackAddressesAreKnownInEveryForm) {
  for (const char* address : {"localhost", "127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1", " LOCALHOST "}) {
    EXPECT_TRUE(is_loopback_address(address)) << address;
  }
  for (const char* address : {"10.0.0.1", "node01", "::ffff:10.1.2.3", "fe80::1", "128.0.0.1", ""}) {
    EXPECT_FALSE(is_loopback_address(address)) << address;
  }
}

TEST(NetworkChecks, AHostNameOnLoopbackInAJobAcrossMachinesNamesGlooSocketIfname) {
  HostFacts host{"node02", {"127.0.1.1"}, false, true};
  const std::optional<std::string> problem = cross_node_address_problem(two_machines("10.0.0.1"), host);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("host name 'node02' resolves to 127.0.1.1"), std::string::npos) << *problem;
  EXPECT_NE(problem->find("GLOO_SOCKET_IFNAME"), std::string::npos);
  EXPECT_NE(problem->find("MASTER_ADDR 10.0.0.1"), std::string::npos);
  // Fine: an interface chosen, a routable address among the names', NCCL,
  // one machine, or machines simulated on one host over loopback.
  EXPECT_FALSE(cross_node_address_problem(two_machines("10.0.0.1"), {"node02", {"127.0.1.1"}, true, true}));
  EXPECT_FALSE(cross_node_address_problem(two_machines("10.0.0.1"), {"node02", {"127.0.1.1", "10.0.0.2"}, false, true}));
  EXPECT_FALSE(cross_node_address_problem(two_machines("10.0.0.1"), {"node02", {"127.0.1.1"}, false, false}));
  LaunchIdentity one_machine = two_machines("10.0.0.1");
  one_machine.local_world_size = 4;
  EXPECT_FALSE(cross_node_address_problem(one_machine, host));
  EXPECT_FALSE(cross_node_address_problem(two_machines("127.0.0.1"), host));
}

TEST(NetworkChecks, LocalhostResolvesToALoopbackAddress) {
  const std::vector<std::string> addresses = resolve_host("localhost");
  ASSERT_FALSE(addresses.empty());
  for (const std::string& address : addresses) EXPECT_TRUE(is_loopback_address(address)) << address;
  EXPECT_TRUE(resolve_host("no-such-host.invalid").empty());
  EXPECT_FALSE(this_host_name().empty());
}

}  // namespace
}  // namespace trainbench::dist
