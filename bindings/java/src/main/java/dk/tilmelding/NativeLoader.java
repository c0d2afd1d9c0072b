package dk.tilmelding;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;

/**
 * Where {@code libtilmelding.so} comes from, in this order:
 *
 * <ol>
 *   <li>the system property {@code tilmelding.library.path}: the library file
 *       itself, or a directory holding {@code libtilmelding.so};</li>
 *   <li>the copy the jar carries for this platform
 *       ({@code /dk/tilmelding/native/linux-x86_64/libtilmelding.so}),
 *       extracted to a private temporary directory (mode 0700), loaded, and
 *       deleted again at once (the mapping stays);</li>
 *   <li>otherwise the name {@code tilmelding}, found the usual way
 *       ({@code jna.library.path}, {@code LD_LIBRARY_PATH}, the system's
 *       library directories).</li>
 * </ol>
 *
 * Package-private: {@link Native} loads it once.
 */
final class NativeLoader {
    /** The system property that overrides the embedded library. */
    static final String PROPERTY = "tilmelding.library.path";

    private static final String FILE = "libtilmelding.so";

    private static volatile String origin = "not loaded";

    private NativeLoader() {}

    /** What {@code load} loaded: {@code "property: PATH"}, {@code "jar: RESOURCE"} or {@code "system: tilmelding"}. */
    static String origin() {
        return origin;
    }

    /** The platform as the jar names its directories, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (arch.equals("amd64")) {
            arch = "x86_64";
        }
        return (os.startsWith("linux") ? "linux" : os.replace(' ', '_')) + "-" + arch;
    }

    /**
     * Loads the library with {@code loader} (given the path or name to
     * load) and returns what it returned.
     */
    static <T> T load(java.util.function.Function<String, T> loader) {
        String configured = System.getProperty(PROPERTY);
        if (configured != null && !configured.isEmpty()) {
            Path path = Paths.get(configured);
            if (Files.isDirectory(path)) {
                path = path.resolve(FILE);
            }
            if (!Files.isRegularFile(path)) {
                throw new UnsatisfiedLinkError(
                        "-D" + PROPERTY + "=" + configured + ": no " + FILE + " there");
            }
            T loaded = loader.apply(path.toAbsolutePath().toString());
            origin = "property: " + path.toAbsolutePath();
            return loaded;
        }
        String resource = "/dk/tilmelding/native/" + platform() + "/" + FILE;
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in != null) {
                Path dir = Files.createTempDirectory("tilmelding-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                Path file = dir.resolve(FILE);
                try {
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                    T loaded = loader.apply(file.toString());
                    origin = "jar: " + resource;
                    return loaded;
                } finally {
                    // Loaded (mapped) or not, the copy is not needed any more.
                    Files.deleteIfExists(file);
                    Files.deleteIfExists(dir);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + resource + " from the jar", e);
        }
        T loaded = loader.apply("tilmelding");
        origin = "system: tilmelding";
        return loaded;
    }
}
