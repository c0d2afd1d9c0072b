package dk.tilmelding;


import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows an index <em>path</em> whose file is replaced (renamed over) while
 * the process runs, typically every day: answers from the index serving now,
 * and swaps in the new file on {@link #refresh()} or, every interval, on a
 * background thread ({@link #refreshEvery}). Lookups never stop: those in
 * flight finish on the old index.
 *
 * <pre>{@code
 * Reader reader = Reader.open("/var/lib/tilmelding/current.tlm");  // at start-up, kept for the process
 * reader.setMaxAge(Duration.ofHours(36));       // a daily list: refuse one older than 36 hours
 * reader.refreshEvery(Duration.ofMinutes(1));   // look for a new file every minute
 *
 * try (Index snapshot = reader.current()) {     // per request: one snapshot, for the audit log
 *     Answer a = snapshot.lookup("100", "0101901234");
 *     log.info("{} snapshot {}", a, snapshot.snapshotId());
 * }
 * }</pre>
 *
 * <p>A reader has no {@link Index#material(String)}: a resolved material's
 * number is valid on one snapshot only, and a refresh may swap in another
 * between two calls. For single lookups by number, resolve the material on an
 * {@code Index} from {@link #current()} and look up on that same
 * {@code Index}, resolving again for each new {@code current()}.
 *
 * <p>A failed refresh (file missing, truncated, corrupt) keeps the current
 * index serving: {@link #refresh()} throws, and the background refresh
 * records why in {@link #refreshError()} and tries again at the next
 * interval. With a maximum age, an index that is never replaced ends up
 * refusing to decide ({@link ResultCode#STALE_INDEX}) instead of deciding on
 * old data.
 *
 * <h2>Threads and lifetime</h2>
 *
 * <p>Any number of threads may call every method but {@link #close()} at
 * once, concurrently with refreshes (each thread that looks up keeps 512
 * bytes of native scratch memory, shared with {@link Index}). {@code close()}
 * follows the rules of {@link Index#close()}: the native reader is freed
 * exactly once, however many threads close it; calls that start afterwards
 * throw {@link IllegalStateException}; but <b>a call already inside the
 * native library when another thread closes the reader reads freed
 * memory</b>, so close only after the threads using it are done. Closing
 * stops the background refresh (waiting up to about 50 ms for it). A reader
 * that becomes unreachable without being closed is closed by a
 * {@link Cleaner}, which also stops its background refresh: keep the reader
 * referenced (e.g. in a field of the service) for as long as it should
 * follow the path. Indexes from {@link #current()} stay usable after the
 * reader is closed, until they are closed themselves.
 *
 * <p>The native library is loaded as {@link Index} says.
 */
public final class Reader implements AutoCloseable {
    private final AtomicLong handle;
    private final Cleaner.Cleanable cleanable;
    private final String path;

    private Reader(long handle, String path) {
        this.handle = new AtomicLong(handle);
        this.cleanable = Index.CLEANER.register(this, new Free(handle));
        this.path = path;
    }

    /** Frees a reader; holds no reference to the {@code Reader}, as a Cleaner action must not. */
    private static final class Free implements Runnable {
        private final long handle;

        Free(long handle) {
            this.handle = handle;
        }

        @Override
        public void run() {
            Calls.get().readerClose(handle);
        }
    }

    /**
     * Opens a reader on the index file at {@code path}: opens and checks the
     * file as {@link Index#open(String)} does, and remembers the path for later
     * refreshes. No maximum age and no background refresh until they are set.
     *
     * @throws TilmeldingException as {@link Index#open(String)}: {@link ResultCode#IO},
     *     {@link ResultCode#CORRUPT_INDEX} or {@link ResultCode#UNSUPPORTED_VERSION};
     *     the message names the file
     * @throws IllegalArgumentException if the path contains a NUL character
     * @throws UnsatisfiedLinkError if {@code libtilmelding.so} (or JNA's own
     *     native part) cannot be loaded
     */
    public static Reader open(String path) {
        Objects.requireNonNull(path, "path");
        return new Reader(Calls.get().readerOpen(Calls.cString(path, "path")), path);
    }

    /**
     * Opens a reader on the index file at {@code path} (on the default file
     * system); as {@link #open(String)}.
     */
    public static Reader open(Path path) {
        return open(Index.defaultFileSystem(path).toString());
    }

    /**
     * Checks whether the file at the reader's path was replaced (another
     * file: device, inode, size or modification time differ); if so opens it,
     * checks it as {@link Index#open(String)} does and swaps it in atomically. The new index gets the
     * reader's maximum age.
     *
     * @return true if a new index was swapped in, false if the file is unchanged
     * @throws TilmeldingException if the file at the path cannot be opened
     *     ({@link ResultCode#IO}, e.g. it is missing), is not a valid index
     *     ({@link ResultCode#CORRUPT_INDEX}) or has an unsupported format
     *     version; the message names the path, and the current index keeps serving
     * @throws IllegalStateException if the reader is closed
     */
    public boolean refresh() {
        try {
            return Calls.get().readerRefresh(handle());
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Refreshes every {@code interval} on a background thread owned by the
     * native library, until the reader is closed; a second call replaces the
     * first. Failed refreshes keep the current index serving and are retried
     * at the next interval; {@link #refreshError()} tells why the latest one
     * failed. Set a maximum age too ({@link #setMaxAge}), so that an index
     * that is never replaced stops deciding.
     *
     * @param interval how often to look at the file: positive; a fraction of a
     *     millisecond counts as a millisecond
     * @throws IllegalArgumentException if {@code interval} is zero or negative
     * @throws IllegalStateException if the reader is closed
     */
    public void refreshEvery(Duration interval) {
        Objects.requireNonNull(interval, "interval");
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("interval must be positive: " + interval);
        }
        long ms;
        try {
            ms = interval.plusNanos(999_999).toMillis();
        } catch (ArithmeticException e) {
            ms = Long.MAX_VALUE;
        }
        try {
            Calls.get().readerRefreshEvery(handle(), ms);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Why the latest background refresh ({@link #refreshEvery}) failed, naming
     * the path; empty when it succeeded, or when none has run
     * ({@link #refresh()} throws instead). Log it, e.g. from a health check:
     * a refresh that keeps failing leaves the old index serving.
     *
     * @throws IllegalStateException if the reader is closed
     */
    public Optional<String> refreshError() {
        try {
            return Optional.ofNullable(Calls.get().readerRefreshError(handle()));
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Sets the maximum age of the list for the index serving now and for
     * every index a refresh swaps in later: once the list's as-of time is
     * older than {@code maxAge}, lookups throw {@link TilmeldingException}
     * with {@link ResultCode#STALE_INDEX}. {@code null} or
     * {@link Duration#ZERO} turns the check off (the default). Whole seconds;
     * a fraction counts as a second. Safe from any thread, also while a
     * refresh runs (the setting is never lost to a concurrent swap).
     *
     * @param maxAge the maximum age, zero or positive; {@code null} for none
     * @throws IllegalArgumentException if {@code maxAge} is negative
     * @throws IllegalStateException if the reader is closed
     */
    public void setMaxAge(Duration maxAge) {
        long seconds = Index.maxAgeSeconds(maxAge);
        try {
            Calls.get().readerSetMaxAge(handle(), seconds);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * An {@link Index} pinned to the snapshot serving now: it keeps answering
     * from that snapshot (and keeps its file mapped) whatever refreshes happen
     * meanwhile, even after the reader is closed. Use it to make several
     * lookups against one snapshot and to log the {@link Index#snapshotId()}
     * they came from; close it when done (try-with-resources, typically per
     * request or per mailing) so that an old snapshot's memory is released.
     * It shares the snapshot's maximum age with the reader.
     *
     * @return a new {@code Index}, owned by the caller
     * @throws IllegalStateException if the reader is closed
     */
    public Index current() {
        try {
            return new Index(Calls.get().readerCurrent(handle()), path);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Which channel a letter of {@code material} to {@code recipient} takes
     * today (in Danish time), and why, on the index serving now. As
     * {@link Index#lookup(String, String)}.
     */
    public Answer lookup(String material, String recipient) {
        return lookupAt(material, recipient, 0);
    }

    /**
     * {@link Index#lookup(String, String, LocalDate)} on the index serving
     * now: the same arguments, answers and exceptions
     * ({@link ResultCode#STALE_INDEX} included), and
     * {@link IllegalStateException} if the reader is closed. To tie the
     * answer to its snapshot, look up on {@link #current()} instead.
     */
    public Answer lookup(String material, String recipient, LocalDate date) {
        return lookupAt(material, recipient, Index.yyyymmdd(date));
    }

    private Answer lookupAt(String material, String recipient, int date) {
        Objects.requireNonNull(material, "material");
        Objects.requireNonNull(recipient, "recipient");
        try {
            return Calls.get().lookup(handle(), true, material, recipient, date);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /**
     * Looks up many recipients of one kind for {@code material} today (in
     * Danish time), on the index serving now. As
     * {@link #lookupBatch(String, RecipientKind, long[], LocalDate)}.
     */
    public Answer[] lookupBatch(String material, RecipientKind kind, long[] recipients) {
        return lookupBatchAt(material, kind, recipients, 0);
    }

    /**
     * {@link Index#lookupBatch(String, RecipientKind, long[], LocalDate)} on
     * the index serving now, the whole batch from one snapshot: the same
     * arguments, answers and exceptions, and {@link IllegalStateException} if
     * the reader is closed.
     */
    public Answer[] lookupBatch(String material, RecipientKind kind, long[] recipients, LocalDate date) {
        return lookupBatchAt(material, kind, recipients, Index.yyyymmdd(date));
    }

    private Answer[] lookupBatchAt(String material, RecipientKind kind, long[] recipients, int date) {
        byte[] m = Calls.cString(Objects.requireNonNull(material, "material"), "material");
        int k = Objects.requireNonNull(kind, "kind").code();
        Objects.requireNonNull(recipients, "recipients");
        try {
            return Calls.get().lookupBatch(handle(), true, m, k, recipients, date);
        } finally {
            Reference.reachabilityFence(this);
        }
    }

    /** The path this reader follows. */
    public String path() {
        return path;
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return handle.get() == 0;
    }

    /**
     * Stops the background refresh and frees the native reader, releasing the
     * index serving now unless an {@link Index} from {@link #current()} still
     * holds it. Idempotent and safe to call from several threads at once (the
     * reader is freed exactly once); afterwards every method but
     * {@link #close()}, {@link #isClosed()} and {@link #path()} throws
     * {@link IllegalStateException}. Must not be called while another thread
     * is inside a call on this reader: see the class documentation.
     */
    @Override
    public void close() {
        if (handle.getAndSet(0) != 0) {
            cleanable.clean();
        }
    }

    @Override
    public String toString() {
        return "Reader[" + path + (isClosed() ? ", closed]" : "]");
    }

    private long handle() {
        long h = handle.get();
        if (h == 0) {
            throw new IllegalStateException("the reader of " + path + " is closed");
        }
        return h;
    }
}
