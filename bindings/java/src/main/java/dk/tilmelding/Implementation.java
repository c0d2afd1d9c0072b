package dk.tilmelding;

/**
 * Which {@link Calls} a Java runtime gets. Before Java 22 this one: JNA.
 * On Java 22 and later the jar's {@code META-INF/versions/22} has another
 * that takes the Foreign Function and Memory API unless
 * {@code -Dtilmelding.implementation=jna}. Package-private.
 */
final class Implementation {
    private Implementation() {}

    static Calls load() {
        String wanted = System.getProperty("tilmelding.implementation", "jna");
        if (!wanted.equals("jna")) {
            throw new IllegalStateException("-Dtilmelding.implementation=" + wanted
                    + ": this Java runtime (before 22) has only the JNA implementation");
        }
        return new JnaCalls();
    }
}
