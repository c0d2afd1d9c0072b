package dk.tilmelding;

/**
 * A material ID resolved once by {@link Index#material(String)}, for
 * {@link Index#lookup(Material, RecipientKind, long, java.time.LocalDate)}: the single
 * lookup for hot loops, which neither hashes the material ID nor parses the
 * recipient on each call.
 *
 * <p>A material holds the number the index gave the ID, and that number is
 * valid on that index only: another index file (a newer list, or the snapshot
 * a {@link Reader} serves after a refresh) may number its materials
 * differently. So a {@code Material} belongs to the {@link Index} object that
 * resolved it ({@link #index()}), and a lookup on any other {@code Index}
 * object, even one on the same file or the same snapshot, throws
 * {@link IllegalArgumentException}. Resolve once per index you look up on
 * (for a reader, on each {@link Reader#current()} snapshot), not per letter.
 *
 * <p>Immutable and safe to share between threads. It keeps its index
 * reachable, but not open: after {@link Index#close()} lookups with it throw
 * {@link IllegalStateException}.
 */
public final class Material {
    private final Index index;
    private final int number;
    private final String id;

    Material(Index index, int number, String id) {
        this.index = index;
        this.number = number;
        this.id = id;
    }

    /** The material ID, as given to {@link Index#material(String)}. */
    public String id() {
        return id;
    }

    /**
     * The number the index gave this material (a {@code uint32_t}): for logs
     * and diagnostics only; it means nothing on another index.
     */
    public long number() {
        return Integer.toUnsignedLong(number);
    }

    /** The index that resolved this material: the only one it can be looked up on. */
    public Index index() {
        return index;
    }

    /** The number as the native argument; {@code Index} checks the owner first. */
    int code() {
        return number;
    }

    /** Equal if resolved by the same {@link Index} object to the same number. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Material m && m.index == index && m.number == number;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(index) * 31 + number;
    }

    /** {@code "Material[100 #3 on /path/index.tlm]"}. */
    @Override
    public String toString() {
        return "Material[" + id + " #" + number() + " on " + index.path() + "]";
    }
}
