package dk.tilmelding;

/**
 * Which {@link Calls} a Java 22+ runtime gets: the Foreign Function and
 * Memory API ({@link FfmCalls}), or JNA with
 * {@code -Dtilmelding.implementation=jna}. (The jar's base version, for
 * earlier runtimes, has only JNA.) Package-private.
 */
final class Implementation {
    private Implementation() {}

    static Calls load() {
        String wanted = System.getProperty("tilmelding.implementation", "ffm");
        switch (wanted) {
            case "ffm":
                return new FfmCalls();
            case "jna":
                return new JnaCalls();
            default:
                throw new IllegalStateException("-Dtilmelding.implementation=" + wanted + ": not ffm or jna");
        }
    }
}
