package loomchat.chat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** The key per-address limits count a client under. */
class ClientAddressTest {

    @Test
    void anIpv4ClientIsCountedByItsAddress() throws Exception {
        assertEquals("192.0.2.7", ClientAddress.key(InetAddress.getByName("192.0.2.7")));
    }

    @Test
    void anIpv4ClientOnADualStackSocketIsCountedAsIpv4() throws Exception {
        // given the same client seen as ::ffff:192.0.2.7
        byte[] mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 192, 0, 2, 7};
        // then it is the same key as over IPv4
        assertEquals("192.0.2.7", ClientAddress.key(InetAddress.getByAddress(mapped)));
    }

    @Test
    void everyAddressOfAnIpv6Slash64IsOneClient() throws Exception {
        // given two addresses in one /64, and one in the next
        String a = ClientAddress.key(InetAddress.getByName("2001:db8:0:1::1"));
        String b = ClientAddress.key(InetAddress.getByName("2001:db8:0:1:ffff:ffff:ffff:ffff"));
        String other = ClientAddress.key(InetAddress.getByName("2001:db8:0:2::1"));
        // then the first two share a key, and the third has its own
        assertEquals("2001:db8:0:1::/64", a);
        assertEquals(a, b);
        assertNotEquals(a, other);
    }
}
