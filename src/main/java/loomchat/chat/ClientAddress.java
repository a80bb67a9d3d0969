package loomchat.chat;

import java.net.Inet6Address;
import java.net.InetAddress;

/**
 * The key a client is counted under by every per-address limit: its IPv4 address, or the /64
 * network of its IPv6 address.
 *
 * <p>Why a /64 rather than the address: an IPv6 subscriber is handed a whole /64 (or more) and may
 * use any address in it, so counting single IPv6 addresses would give one machine 2^64 fresh
 * keys with which to get around login throttling, registration limits and connection caps. An
 * IPv4 address is counted alone, since carriers put many subscribers behind one (and widening
 * that to a /24 would make neighbours share their limits).
 */
public final class ClientAddress {
    private ClientAddress() {
    }

    /** The key for {@code address}: {@code "192.0.2.7"}, or {@code "2001:db8:0:1::/64"}. */
    public static String key(InetAddress address) {
        if (address == null) return "?";
        if (!(address instanceof Inet6Address)) return address.getHostAddress();
        byte[] b = address.getAddress();
        if (isV4Mapped(b)) return (b[12] & 0xff) + "." + (b[13] & 0xff) + "." + (b[14] & 0xff) + "." + (b[15] & 0xff);
        StringBuilder s = new StringBuilder(24);
        for (int i = 0; i < 8; i += 2) {
            s.append(Integer.toHexString(((b[i] & 0xff) << 8) | (b[i + 1] & 0xff))).append(':');
        }
        return s.append(":/64").toString();
    }

    /** ::ffff:a.b.c.d, an IPv4 client on a dual-stack socket. */
    private static boolean isV4Mapped(byte[] b) {
        for (int i = 0; i < 10; i++) if (b[i] != 0) return false;
        return b[10] == (byte) 0xff && b[11] == (byte) 0xff;
    }
}
