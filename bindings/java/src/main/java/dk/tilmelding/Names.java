package dk.tilmelding;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * The names the CLI prints for channels and reasons, as the native library
 * gives them ({@code tlm_channel_name}, {@code tlm_reason_name}): one list of
 * names for every language. Read once, when first used.
 */
final class Names {
    static final String[] CHANNELS = load(code -> Calls.get().channelName(code));
    static final String[] REASONS = load(code -> Calls.get().reasonName(code));

    private Names() {}

    /** The name of {@code code} in {@code names}, or an error naming {@code what}. */
    static String of(String[] names, int code, String what) {
        if (code < 0 || code >= names.length) {
            throw new IllegalStateException("the native library has no name for " + what + " " + code);
        }
        return names[code];
    }

    /** Every name from 0 up to the first number the library has no name for (NULL). */
    private static String[] load(IntFunction<String> name) {
        List<String> names = new ArrayList<>();
        for (int code = 0; ; code++) {
            String text = name.apply(code);
            if (text == null) {
                return names.toArray(new String[0]);
            }
            names.add(text);
        }
    }
}
