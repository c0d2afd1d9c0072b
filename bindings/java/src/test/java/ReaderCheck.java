/*
 * Follows a replaced index through the `Reader` API: the same commands and
 * answers as bindings/csharp/tests/ReaderCheck.cs. Reads one command per
 * line on stdin and answers each with one line on stdout, so that the test
 * can rename files between commands (see `follow_a_replaced_index`).
 */
import dk.tilmelding.*;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/** Answers one command per line of stdin with one line of stdout. */
public final class ReaderCheck {
    static final LocalDate DAY = LocalDate.of(2026, 11, 22);
    static Reader reader;
    static Index pinned;

    interface Body {
        void run() throws Exception;
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        String line;
        while ((line = in.readLine()) != null) {
            int space = line.indexOf(' ');
            String command = space < 0 ? line : line.substring(0, space);
            String arg = space < 0 ? "" : line.substring(space + 1);
            if (command.equals("quit")) {
                System.exit(0);
            }
            String answer;
            try {
                answer = run(command, arg);
            } catch (TilmeldingException e) {
                answer = "error " + e.code().text() + ": " + e.getMessage();
            } catch (RuntimeException e) {
                answer = "exception " + e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            out.println(answer.replace('\n', ' '));
        }
        System.exit(1);
    }

    static String run(String command, String arg) throws Exception {
        switch (command) {
            case "open": {
                Reader opened = Reader.open(Path.of(arg));
                if (reader != null) {
                    reader.close();
                }
                reader = opened;
                return "ok";
            }
            case "lookup":
                return reader.lookup("100", "0101901234", DAY).toString();
            case "batch": {
                Answer[] a = reader.lookupBatch("100", RecipientKind.CPR, new long[] {101901234L, 202902345L}, DAY);
                return a[0] + ", " + a[1];
            }
            case "refresh":
                return Boolean.toString(reader.refresh());
            case "pin":
                if (pinned != null) {
                    pinned.close();
                }
                pinned = reader.current();
                return pinned.snapshotId();
            case "pinned":
                return pinned.lookup("100", "0101901234", DAY).toString();
            case "current":
                try (Index index = reader.current()) {
                    return index.snapshotId();
                }
            case "current-lookup":
                try (Index index = reader.current()) {
                    return index.lookup("100", "0101901234", DAY).toString();
                }
            case "max-age":
                reader.setMaxAge(maxAge(arg));
                return "ok";
            case "index-max-age":
                try (Index index = reader.current()) {
                    index.setMaxAge(maxAge(arg));
                }
                return "ok";
            case "every":
                reader.refreshEvery(Duration.ofNanos((long) (Double.parseDouble(arg) * 1e6)));
                return "ok";
            case "error":
                return reader.refreshError().map(e -> "some " + e).orElse("none");
            case "close":
                return close();
            case "unreferenced":
                return unreferenced(arg);
            default:
                return "unknown command " + command;
        }
    }

    static Duration maxAge(String arg) {
        return arg.equals("off") ? null : Duration.ofMillis((long) (Double.parseDouble(arg) * 1000));
    }

    /** Closes the reader from many threads at once; then every method must throw. */
    static String close() throws Exception {
        Reader r = reader;
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> closers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread c = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException x) {
                    throw new RuntimeException(x);
                }
                r.close();
            });
            c.start();
            closers.add(c);
        }
        go.countDown();
        for (Thread c : closers) {
            c.join();
        }
        r.close();
        if (!r.isClosed()) {
            return "not closed";
        }
        List<Body> after = List.of(
                () -> r.lookup("100", "0101901234", DAY),
                () -> r.lookup("100", "0101901234"),
                () -> r.lookupBatch("100", RecipientKind.CPR, new long[1], DAY),
                r::refresh,
                () -> r.refreshEvery(Duration.ofSeconds(1)),
                r::refreshError,
                () -> r.setMaxAge(null),
                () -> r.current().close());
        TreeSet<String> thrown = new TreeSet<>();
        for (Body call : after) {
            try {
                call.run();
                thrown.add("nothing");
            } catch (Exception e) {
                thrown.add(e.getClass().getSimpleName());
            }
        }
        return "closed " + String.join(",", thrown);
    }

    /** Readers with a background refresh, never closed: the Cleaner closes them, stopping their threads. */
    static String unreferenced(String path) throws Exception {
        int before = refreshThreads();
        for (int i = 0; i < 3; i++) {
            Reader.open(path).refreshEvery(Duration.ofMillis(20));
        }
        // A new thread names itself when it starts: wait for the names.
        int during = refreshThreads();
        for (int i = 0; i < 100 && during < before + 3; i++) {
            Thread.sleep(20);
            during = refreshThreads();
        }
        int after = during;
        for (int i = 0; i < 100 && after != before; i++) {
            System.gc();
            Thread.sleep(50);
            after = refreshThreads();
        }
        return before + " " + during + " " + after;
    }

    /** The threads of this process that are background refreshes (Linux). */
    static int refreshThreads() throws IOException {
        int n = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : (Iterable<Path>) tasks::iterator) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith("tilmelding-ref")) {
                        n++;
                    }
                } catch (IOException e) {
                    // The thread ended meanwhile.
                }
            }
        }
        return n;
    }
}
