/*
 * Checks the parts of the API that examples/java/Example.java does not show
 * (run by tests/java.rs); prints `info KEY VALUE` lines, a `bench` line and
 * `ok`.
 */
import dk.tilmelding.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/** Checks the bindings beyond what Example shows; prints `info KEY VALUE`, `bench ...` and `ok`. */
public final class ApiCheck {
    static final LocalDate DAY = LocalDate.of(2026, 11, 22);

    static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }

    interface Body {
        void run() throws Exception;
    }

    static <T extends Throwable> T expect(Class<T> type, Body body) throws Exception {
        try {
            body.run();
        } catch (Throwable t) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            throw new AssertionError("expected " + type.getSimpleName() + ", got " + t, t);
        }
        throw new AssertionError("expected " + type.getSimpleName() + ", got nothing");
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args[0]);
        System.out.println("info version " + Index.libraryVersion());
        System.out.println("info implementation " + Index.implementation());
        Index index = Index.open(path);
        Info info = index.info();
        System.out.println("info snapshot_id " + index.snapshotId());
        System.out.println("info format_version " + info.formatMajor() + "." + info.formatMinor());
        System.out.println("info materials " + info.materials());
        System.out.println("info groups " + info.groups());
        System.out.println("info sender_systems " + info.senderSystems());
        System.out.println("info cpr_recipients " + info.cprContacts());
        System.out.println("info cvr_recipients " + info.cvrContacts());
        System.out.println("info file_size " + info.fileSize());
        System.out.println("info as_of " + info.asOf());
        System.out.println("info build_time " + info.buildTime());

        // Full verification: the index passes; a copy changed and resealed
        // (args[1]) opens but fails it, by either call.
        try (Index verified = Index.openVerified(path)) {
            verified.verify();
            check(verified.snapshotId().equals(index.snapshotId()), "openVerified opens the same index");
        }
        Path resealed = Path.of(args[1]);
        try (Index changed = Index.open(resealed)) {
            TilmeldingException v = expect(TilmeldingException.class, changed::verify);
            check(v.code() == ResultCode.CORRUPT_INDEX && v.getMessage().contains("snapshot"), "verify: " + v.getMessage());
        }
        TilmeldingException ov = expect(TilmeldingException.class, () -> Index.openVerified(resealed));
        check(ov.code() == ResultCode.CORRUPT_INDEX && ov.getMessage().contains(resealed.toString()),
                "openVerified: " + ov.getMessage());

        // A loaded index answers as the mapped one, and no longer needs its file.
        Path copy = Files.copy(path, path.resolveSibling("to-load.tlm"));
        try (Index loaded = Index.load(copy)) {
            Files.delete(copy);
            check(loaded.snapshotId().equals(index.snapshotId()), "load reads the same index");
            check(loaded.lookup("100", "0101901234", DAY) == index.lookup("100", "0101901234", DAY)
                    && loaded.lookup("100", "0202902345", DAY) == index.lookup("100", "0202902345", DAY),
                    "a loaded index answers as the mapped one without its file");
        }
        TilmeldingException le = expect(TilmeldingException.class, () -> Index.load(copy));
        check(le.code() == ResultCode.IO && le.getMessage().contains(copy.toString()), "load: " + le.getMessage());

        // Enums mirror the header's numbers.
        check(ResultCode.fromCode(7) == ResultCode.INVALID_RECIPIENT, "ResultCode.fromCode");
        check(Channel.fromCode(3) == Channel.PHYSICAL && Reason.fromCode(9) == Reason.NO_NEMSMS, "fromCode");
        check(RecipientKind.fromCode(1) == RecipientKind.CVR, "RecipientKind.fromCode");
        expect(IllegalArgumentException.class, () -> ResultCode.fromCode(1000));
        check(Index.describe(ResultCode.UNKNOWN_MATERIAL).equals("unknown material"), "tlm_strerror");

        // Single lookups: answers, and failures as exceptions with the library's message.
        Answer a = index.lookup("100", "0101901234", DAY);
        check(a.channel() == Channel.DIGITAL && a.reason() == Reason.REGISTERED && !a.isError(), "lookup " + a);
        check(a == Answer.of(ResultCode.OK, Channel.DIGITAL, Reason.REGISTERED), "answers are shared");
        check(!index.lookup("100", "0101901234").isError(), "lookup today");
        // Too long for the per-thread scratch memory: the byte[] path, same answer.
        check(index.lookup("100", " ".repeat(300) + "0202902345", DAY).reason() == Reason.EXEMPT, "long input");
        TilmeldingException e = expect(TilmeldingException.class, () -> index.lookup("100", "3102901234", DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT, "code " + e.code());
        check(e.getMessage().contains("310290xxxx") && !e.getMessage().contains("3102901234"),
                "masked message: " + e.getMessage());
        e = expect(TilmeldingException.class, () -> index.lookup("nope", "0101901234", DAY));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL && e.getMessage().contains("\"nope\""), e.getMessage());
        // Longer than the first buffer for messages: a long path (a material ID is cut short in messages).
        Path longPath = path.resolveSibling("d".repeat(200)).resolve("x".repeat(200) + ".tlm");
        e = expect(TilmeldingException.class, () -> Index.open(longPath));
        check(e.code() == ResultCode.IO && e.getMessage().contains(longPath.toString()),
                "long message fetched whole: " + e.getMessage().length());
        e = expect(TilmeldingException.class, () -> index.lookup("600", "0101901234", DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "audience " + e.code());
        expect(IllegalArgumentException.class, () -> index.lookup("100\0junk", "0101901234", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "0101901234\0", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "\ud800", DAY));
        expect(IllegalArgumentException.class, () -> index.lookup("100", "0101901234", LocalDate.of(10000, 1, 1)));
        expect(NullPointerException.class, () -> index.lookup(null, "0101901234", DAY));
        e = expect(TilmeldingException.class, () -> index.lookup("æøå", "0101901234", DAY));
        check(e.getMessage().contains("\"æøå\""), "UTF-8 round trip: " + e.getMessage());

        // Single lookups by number: the material resolved once, valid on its own Index only.
        Material m100 = index.material("100");
        Material m200 = index.material("200");
        check(m100.id().equals("100") && m100.index() == index && m100.equals(index.material("100"))
                && !m100.equals(m200), "material " + m100 + ", " + m200);
        check(index.lookup(m100, RecipientKind.CPR, 101901234L, DAY) == index.lookup("100", "0101901234", DAY)
                && index.lookup(m100, RecipientKind.CVR, 12345674L, DAY) == index.lookup("100", "12345674", DAY)
                && index.lookup(m200, RecipientKind.CPR, 101901234L, DAY) == index.lookup("200", "0101901234", DAY),
                "number path = text path");
        check(!index.lookup(m100, RecipientKind.CPR, 101901234L, DAY)
                .equals(index.lookup(m200, RecipientKind.CPR, 101901234L, DAY)), "the material is passed");
        check(index.lookup(m100, RecipientKind.CPR, 202902345L) == index.lookup("100", "0202902345"),
                "number lookup today");
        e = expect(TilmeldingException.class, () -> index.material("nope"));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL && e.getMessage().contains("\"nope\""), e.getMessage());
        e = expect(TilmeldingException.class, () -> index.material("æøå"));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL && e.getMessage().contains("\"æøå\""), e.getMessage());
        expect(NullPointerException.class, () -> index.material(null));
        expect(IllegalArgumentException.class, () -> index.material("100\0junk"));
        expect(IllegalArgumentException.class, () -> index.material("\ud800"));
        // An invalid CPR number: the message keeps the date part and masks the serial.
        e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CPR, 3102907391L, DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT && e.getMessage().contains("310290")
                && !e.getMessage().contains("7391"), "masked number message: " + e.getMessage());
        e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CVR, 12345678L, DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT, "invalid CVR " + e.code());
        e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CPR, -1L, DAY));
        check(e.code() == ResultCode.INVALID_RECIPIENT, "-1 is 2^64 - 1 " + e.code());
        e = expect(TilmeldingException.class,
                () -> index.lookup(index.material("600"), RecipientKind.CPR, 101901234L, DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "number audience " + e.code());
        expect(NullPointerException.class, () -> index.lookup((Material) null, RecipientKind.CPR, 101901234L, DAY));
        expect(NullPointerException.class, () -> index.lookup(m100, null, 101901234L, DAY));
        expect(NullPointerException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L, null));
        expect(IllegalArgumentException.class,
                () -> index.lookup(m100, RecipientKind.CPR, 101901234L, LocalDate.of(10000, 1, 1)));
        // A material from another Index, even on the same file, is refused both ways.
        Index second = Index.open(path);
        Material m2 = second.material("100");
        check(!m2.equals(m100) && m2.index() == second, "materials of two indexes");
        check(second.lookup(m2, RecipientKind.CPR, 101901234L, DAY) == index.lookup(m100, RecipientKind.CPR,
                101901234L, DAY), "the same file, the same answer");
        IllegalArgumentException wrong = expect(IllegalArgumentException.class,
                () -> index.lookup(m2, RecipientKind.CPR, 101901234L, DAY));
        check(wrong.getMessage().contains("another Index") && !wrong.getMessage().contains("101901234"),
                wrong.getMessage());
        expect(IllegalArgumentException.class, () -> second.lookup(m100, RecipientKind.CPR, 101901234L));
        second.close();
        expect(IllegalStateException.class, () -> second.material("100"));
        expect(IllegalStateException.class, () -> second.lookup(m2, RecipientKind.CPR, 101901234L, DAY));
        expect(IllegalArgumentException.class, () -> index.lookup(m2, RecipientKind.CPR, 101901234L, DAY));
        // A reader's snapshots: resolve on the Index from current(), look up on that one.
        try (Reader reader = Reader.open(path); Index s1 = reader.current(); Index s2 = reader.current()) {
            Material ms = s1.material("100");
            check(s1.lookup(ms, RecipientKind.CPR, 202902345L, DAY) == reader.lookup("100", "0202902345", DAY),
                    "number lookup on a snapshot");
            expect(IllegalArgumentException.class, () -> s2.lookup(ms, RecipientKind.CPR, 202902345L, DAY));
        }

        // Batches: per-element invalid numbers, whole-batch failures, empty batches.
        Answer[] b = index.lookupBatch("100", RecipientKind.CPR,
                new long[] {101901234L, 3102901234L, 202902345L, -1L, 99999999999L}, DAY);
        check(b.length == 5 && b[0].toString().equals("digital registered")
                && b[1].result() == ResultCode.INVALID_RECIPIENT && b[1].channel() == Channel.NONE
                && b[2].toString().equals("physical exempt") && b[3].isError() && b[4].isError(),
                "batch " + java.util.Arrays.toString(b));
        check(index.lookupBatch("100", RecipientKind.CVR, new long[0], DAY).length == 0, "empty batch");
        e = expect(TilmeldingException.class, () -> index.lookupBatch("999", RecipientKind.CVR, new long[0], DAY));
        check(e.code() == ResultCode.UNKNOWN_MATERIAL, "empty batch, unknown material");
        e = expect(TilmeldingException.class,
                () -> index.lookupBatch("600", RecipientKind.CPR, new long[] {101901234L}, DAY));
        check(e.code() == ResultCode.AUDIENCE_MISMATCH, "batch audience");

        // Many threads at once: same answers, and each thread gets its own error message.
        int threads = 8;
        List<Thread> workers = new ArrayList<>();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        for (int t = 0; t < threads; t++) {
            String material = "missing-" + t;
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < 5000; i++) {
                        check(index.lookup("100", "0202902345", DAY).reason() == Reason.EXEMPT, "threaded lookup");
                        check(index.lookup(m100, RecipientKind.CPR, 202902345L, DAY).reason() == Reason.EXEMPT,
                                "threaded number lookup");
                        try {
                            index.lookup(material, "0101901234", DAY);
                            throw new AssertionError("no exception");
                        } catch (TilmeldingException x) {
                            check(x.getMessage().contains('"' + material + '"'), "own message: " + x.getMessage());
                        }
                        try {
                            index.material(material);
                            throw new AssertionError("no exception");
                        } catch (TilmeldingException x) {
                            check(x.getMessage().contains('"' + material + '"'), "own message: " + x.getMessage());
                        }
                        if (i % 100 == 0) {
                            check(index.lookupBatch("100", RecipientKind.CPR, new long[] {101901234L}, DAY)[0]
                                    .reason() == Reason.REGISTERED, "threaded batch");
                        }
                    }
                } catch (Throwable x) {
                    failed.compareAndSet(null, x);
                }
            });
            w.start();
            workers.add(w);
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        if (failed.get() != null) {
            throw new AssertionError("thread failed", failed.get());
        }

        // Overhead per call (debug or release library, whichever -Djna.library.path gives).
        for (int round = 0; round < 3; round++) {
            int n = 200_000;
            long t0 = System.nanoTime();
            int digital = 0;
            for (int i = 0; i < n; i++) {
                if (index.lookup("100", "0101901234", DAY).channel() == Channel.DIGITAL) {
                    digital++;
                }
            }
            long t1 = System.nanoTime();
            check(digital == n, "bench answers");
            digital = 0;
            for (int i = 0; i < n; i++) {
                if (index.lookup(m100, RecipientKind.CPR, 101901234L, DAY).channel() == Channel.DIGITAL) {
                    digital++;
                }
            }
            long t1n = System.nanoTime();
            check(digital == n, "bench number answers");
            long[] many = new long[500_000];
            java.util.Arrays.fill(many, 101901234L);
            long t2 = System.nanoTime();
            Answer[] out = index.lookupBatch("100", RecipientKind.CPR, many, DAY);
            long t3 = System.nanoTime();
            check(out[out.length - 1].reason() == Reason.REGISTERED, "bench batch");
            if (round == 2) {
                System.out.printf("bench lookup %.0f ns/call, by number %.0f ns/call, batch %.1f ns/recipient%n",
                        (t1 - t0) / (double) n, (t1n - t1) / (double) n, (t3 - t2) / (double) many.length);
            }
        }

        // Maximum age: a list older than it answers nothing.
        check(ResultCode.fromCode(11) == ResultCode.STALE_INDEX, "TLM_STALE_INDEX");
        if (java.time.Duration.between(info.asOf(), java.time.Instant.now()).getSeconds() > 5) {
            index.setMaxAge(java.time.Duration.ofSeconds(1));
            e = expect(TilmeldingException.class, () -> index.lookup("100", "0101901234", DAY));
            check(e.code() == ResultCode.STALE_INDEX, "stale lookup " + e.code());
            e = expect(TilmeldingException.class,
                    () -> index.lookupBatch("100", RecipientKind.CPR, new long[] {101901234L}, DAY));
            check(e.code() == ResultCode.STALE_INDEX, "stale batch " + e.code());
            e = expect(TilmeldingException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L, DAY));
            check(e.code() == ResultCode.STALE_INDEX, "stale number lookup " + e.code());
        }
        index.setMaxAge(java.time.Duration.ofDays(365_000));
        check(!index.lookup("100", "0101901234", DAY).isError(), "generous maximum age");
        index.setMaxAge(java.time.Duration.ZERO);
        check(!index.lookup("100", "0101901234", DAY).isError(), "maximum age off");
        if (java.time.Duration.between(info.asOf(), java.time.Instant.now()).getSeconds() > 5) {
            index.setMaxAge(java.time.Duration.ofSeconds(1));
            index.setMaxAge(null);
            check(!index.lookup("100", "0101901234", DAY).isError(), "maximum age off (null)");
        }
        expect(IllegalArgumentException.class, () -> index.setMaxAge(java.time.Duration.ofSeconds(-1)));

        // Close: idempotent, safe from many threads at once; later use throws.
        Index other = Index.open(path.toString());
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> closers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread c = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException x) {
                    throw new RuntimeException(x);
                }
                other.close();
            });
            c.start();
            closers.add(c);
        }
        go.countDown();
        for (Thread c : closers) {
            c.join();
        }
        check(other.isClosed(), "closed");
        index.close();
        index.close();
        expect(IllegalStateException.class, () -> index.lookup("100", "0101901234", DAY));
        expect(IllegalStateException.class, () -> index.lookupBatch("100", RecipientKind.CPR, new long[1], DAY));
        expect(IllegalStateException.class, () -> index.material("100"));
        expect(IllegalStateException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L, DAY));
        expect(IllegalStateException.class, () -> index.lookup(m100, RecipientKind.CPR, 101901234L));
        expect(IllegalStateException.class, index::info);
        expect(IllegalStateException.class, index::snapshotId);
        expect(IllegalStateException.class, () -> index.setMaxAge(java.time.Duration.ZERO));
        expect(IllegalStateException.class, () -> other.lookup("100", "0101901234", DAY));

        // Open failures.
        e = expect(TilmeldingException.class, () -> Index.open(path.resolveSibling("missing.tlm")));
        check(e.code() == ResultCode.IO && e.getMessage().contains("missing.tlm"), e.getMessage());
        e = expect(TilmeldingException.class, () -> Index.open(path.getParent().toString()));
        check(e.code() == ResultCode.IO || e.code() == ResultCode.CORRUPT_INDEX, "directory: " + e.code());

        // An index never closed is freed by the Cleaner, without harm.
        for (int i = 0; i < 50; i++) {
            Index.open(path).lookup("100", "0101901234", DAY);
        }
        System.gc();
        Thread.sleep(100);
        System.out.println("ok");
    }
}
