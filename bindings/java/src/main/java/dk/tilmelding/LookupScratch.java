package dk.tilmelding;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One thread's native memory for the single lookups, so that the common call
 * passes only pointers: the answer (or an out-parameter) at {@link #OUT},
 * the material at {@link #MATERIAL}, the recipient at {@link #RECIPIENT}.
 * Strings that are not ASCII, or too long, take the {@code byte[]} path.
 * {@link JnaCalls} and the FFM implementation each hold the memory and its
 * pointers in a subclass; this writes the strings. Package-private.
 */
class LookupScratch {
    static final int OUT = 0;
    static final int MATERIAL = 8;
    static final int RECIPIENT = 256;
    static final int SIZE = 512;

    /** The {@link #SIZE} bytes of native memory, in native byte order. */
    final ByteBuffer bytes;
    /** The material whose bytes are at MATERIAL, if any. */
    private String lastMaterial;

    LookupScratch(ByteBuffer memory) {
        this.bytes = memory.order(ByteOrder.nativeOrder());
    }

    /** Writes both strings; false if one is not ASCII or does not fit. */
    final boolean put(String materialId, String recipientText) {
        if (!materialId.equals(lastMaterial)) {
            lastMaterial = null;
            if (!putAscii(materialId, "material", MATERIAL, RECIPIENT)) {
                return false;
            }
            lastMaterial = materialId;
        }
        return putAscii(recipientText, "recipient", RECIPIENT, SIZE);
    }

    private boolean putAscii(String s, String what, int start, int end) {
        int n = s.length();
        if (n >= end - start) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == 0) {
                throw new IllegalArgumentException(what + " contains a NUL character");
            }
            if (c >= 0x80) {
                return false;
            }
            bytes.put(start + i, (byte) c);
        }
        bytes.put(start + n, (byte) 0);
        return true;
    }
}
