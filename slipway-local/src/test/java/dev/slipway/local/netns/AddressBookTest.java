package dev.slipway.local.netns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AddressBookTest {
  @TempDir
  Path dir;

  @Test
  void subnet_acceptsOnlyPrivateRangesWithoutHostBits() {
    assertThat(Subnet.parse("10.211.0.0/24").address(1)).isEqualTo("10.211.0.1");
    assertThat(Subnet.parse("192.168.4.0/24").cidrOf(10)).isEqualTo("192.168.4.10/24");
    assertThatThrownBy(() -> Subnet.parse("8.8.8.0/24")).hasMessageContaining("not a private range");
    assertThatThrownBy(() -> Subnet.parse("172.32.0.0/16")).hasMessageContaining("not a private range");
    assertThatThrownBy(() -> Subnet.parse("10.0.0.5/24")).hasMessageContaining("did you mean 10.0.0.0/24");
    assertThatThrownBy(() -> Subnet.parse("10.0.0.0/30")).hasMessageContaining("/8 to /27");
    assertThatThrownBy(() -> Subnet.parse("10.0.0/24")).hasMessageContaining("not an IPv4 address");
  }

  @Test
  void allocate_usesTheRangeOfTheRole() {
    AddressBook book = new AddressBook(dir.resolve("addresses"), Subnet.parse("10.213.0.0/24"));

    assertThat(book.allocate(AddressRole.INFRASTRUCTURE, "ctl-0")).isEqualTo(2);
    assertThat(book.allocate(AddressRole.INFRASTRUCTURE, "login-0")).isEqualTo(3);
    assertThat(book.allocate(AddressRole.COMPUTE, "gpu-1")).isEqualTo(10);
    assertThat(book.allocate(AddressRole.COMPUTE, "gpu-1")).as("same owner, same address").isEqualTo(10);
  }

  @Test
  void allocate_afterARestart_neverReusesALiveAddressAndDoesNotReuseAFreedOneAtOnce() {
    Path file = dir.resolve("addresses");
    Subnet subnet = Subnet.parse("10.213.0.0/24");
    AddressBook first = new AddressBook(file, subnet);
    first.allocate(AddressRole.COMPUTE, "gpu-1");
    first.allocate(AddressRole.COMPUTE, "gpu-2");
    first.release("gpu-1");

    AddressBook restarted = new AddressBook(file, subnet);

    assertThat(restarted.heldBy("gpu-2")).map(AddressBook.Entry::offset).contains(11);
    assertThat(restarted.allocate(AddressRole.COMPUTE, "gpu-3")).isEqualTo(12);
  }

  @Test
  void allocate_whenTheRangeIsFull_wrapsAroundToFreedAddressesThenFails() {
    AddressBook book = new AddressBook(dir.resolve("addresses"), Subnet.parse("10.213.0.0/27"));
    for (int i = 10; i <= 30; i++) {
      assertThat(book.allocate(AddressRole.COMPUTE, "n" + i)).isEqualTo(i);
    }
    assertThatThrownBy(() -> book.allocate(AddressRole.COMPUTE, "one-more")).hasMessageContaining("no free compute address left in 10.213.0.0/27");
    book.release("n12");
    assertThat(book.allocate(AddressRole.COMPUTE, "one-more")).isEqualTo(12);
  }
}
