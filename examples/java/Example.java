import dk.tilmelding.Answer;
import dk.tilmelding.Index;
import dk.tilmelding.Material;
import dk.tilmelding.RecipientKind;
import dk.tilmelding.ResultCode;
import dk.tilmelding.TilmeldingException;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Arrays;

/**
 * Answers letters from Java through libtilmelding, printing what
 * {@code tilmelding lookup} prints: one line per recipient,
 * {@code RECIPIENT CHANNEL REASON} or {@code RECIPIENT error CODE}.
 *
 * <pre>
 * javac --release 17 -cp /usr/share/java/jna.jar -d classes examples/java/Example.java bindings/java/src/main/java/dk/tilmelding/*.java
 * java -cp classes:/usr/share/java/jna.jar -Djna.library.path=target/release \
 *     Example lookup INDEX MATERIAL DATE RECIPIENT...
 * java -cp classes:/usr/share/java/jna.jar -Djna.library.path=target/release \
 *     Example batch INDEX MATERIAL DATE cpr|cvr NUMBER...
 * java -cp classes:/usr/share/java/jna.jar -Djna.library.path=target/release \
 *     Example number INDEX MATERIAL DATE cpr|cvr NUMBER...
 * </pre>
 *
 * {@code batch} answers all numbers in one call; {@code number} makes one
 * lookup per number with the material resolved once, as a case system
 * deciding letter after letter would. DATE is YYYY-MM-DD or {@code today}
 * (Danish time). Exit status: 0 when every
 * recipient was answered (invalid recipients and unknown materials are
 * answers too), 1 when the index cannot be opened or a call fails, 2 on a
 * usage error.
 */
public final class Example {
    private Example() {}

    public static void main(String[] args) {
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        int status;
        try {
            status = run(args, out);
        } catch (TilmeldingException e) {
            System.err.println("error: " + e.getMessage() + " (" + e.code().text() + ")");
            status = 1;
        } finally {
            out.flush();
        }
        System.exit(status);
    }

    private static int run(String[] args, PrintStream out) {
        String mode = args.length > 0 ? args[0] : "";
        boolean numbers = mode.equals("batch") || mode.equals("number");
        int first = numbers ? 5 : 4;
        if (args.length < first || !(numbers || mode.equals("lookup"))) {
            return usage("");
        }
        String indexPath = args[1];
        String material = args[2];
        LocalDate date;
        try {
            date = args[3].equals("today") ? null : LocalDate.parse(args[3]);
        } catch (DateTimeParseException e) {
            return usage("DATE must be YYYY-MM-DD or today, not " + args[3]);
        }
        RecipientKind kind = null;
        if (numbers) {
            switch (args[4]) {
                case "cpr" -> kind = RecipientKind.CPR;
                case "cvr" -> kind = RecipientKind.CVR;
                default -> {
                    return usage("the kind must be cpr or cvr, not " + args[4]);
                }
            }
        }
        String[] recipients = Arrays.copyOfRange(args, first, args.length);
        try (Index index = Index.open(Path.of(indexPath))) {
            if (mode.equals("batch")) {
                batch(index, material, date, kind, recipients, out);
            } else if (mode.equals("number")) {
                number(index, material, date, kind, recipients, out);
            } else {
                for (String recipient : recipients) {
                    out.println(line(recipient, lookup(index, material, recipient, date)));
                }
            }
        }
        return 0;
    }

    /** One lookup; the per-letter failures are answers, as in the CLI. */
    private static String lookup(Index index, String material, String recipient, LocalDate date) {
        try {
            Answer a = date == null ? index.lookup(material, recipient) : index.lookup(material, recipient, date);
            return a.toString();
        } catch (TilmeldingException e) {
            if (isAnswer(e.code())) {
                return "error " + e.code().text();
            }
            throw e;
        }
    }

    /** All numbers in one call; arguments that are not numbers at all are invalid recipients. */
    private static void batch(
            Index index, String material, LocalDate date, RecipientKind kind, String[] given, PrintStream out) {
        long[] numbers = new long[given.length];
        boolean[] parsed = new boolean[given.length];
        int n = 0;
        for (int i = 0; i < given.length; i++) {
            try {
                numbers[n] = Long.parseUnsignedLong(given[i].trim());
                parsed[i] = true;
                n++;
            } catch (NumberFormatException e) {
                parsed[i] = false;
            }
        }
        numbers = Arrays.copyOf(numbers, n);
        Answer[] answers;
        String wholeBatchError = null;
        try {
            answers = date == null
                    ? index.lookupBatch(material, kind, numbers)
                    : index.lookupBatch(material, kind, numbers, date);
        } catch (TilmeldingException e) {
            if (!isAnswer(e.code())) {
                throw e;
            }
            answers = null;
            wholeBatchError = "error " + e.code().text();
        }
        for (int i = 0, j = 0; i < given.length; i++) {
            String answer;
            if (!parsed[i]) {
                answer = "error " + ResultCode.INVALID_RECIPIENT.text();
            } else {
                answer = answers == null ? wholeBatchError : answers[j].toString();
                j++;
            }
            out.println(line(given[i], answer));
        }
    }

    /**
     * One lookup per number, the material resolved once: nothing is parsed or
     * hashed per call. An unknown material is every recipient's answer, as in
     * a batch.
     */
    private static void number(
            Index index, String material, LocalDate date, RecipientKind kind, String[] given, PrintStream out) {
        Material m;
        try {
            m = index.material(material);
        } catch (TilmeldingException e) {
            if (!isAnswer(e.code())) {
                throw e;
            }
            for (String recipient : given) {
                out.println(line(recipient, "error " + e.code().text()));
            }
            return;
        }
        for (String recipient : given) {
            long n;
            try {
                n = Long.parseUnsignedLong(recipient.trim());
            } catch (NumberFormatException e) {
                out.println(line(recipient, "error " + ResultCode.INVALID_RECIPIENT.text()));
                continue;
            }
            String answer;
            try {
                answer = (date == null ? index.lookup(m, kind, n) : index.lookup(m, kind, n, date)).toString();
            } catch (TilmeldingException e) {
                if (!isAnswer(e.code())) {
                    throw e;
                }
                answer = "error " + e.code().text();
            }
            out.println(line(recipient, answer));
        }
    }

    /** Failures that the CLI reports as a recipient's answer rather than as an error. */
    private static boolean isAnswer(ResultCode code) {
        return code == ResultCode.UNKNOWN_MATERIAL
                || code == ResultCode.INVALID_RECIPIENT
                || code == ResultCode.AUDIENCE_MISMATCH;
    }

    /** {@code answer} is "channel reason" or "error code". */
    private static String line(String recipient, String answer) {
        int space = answer.indexOf(' ');
        return String.format("%-12s %-9s %s", recipient, answer.substring(0, space), answer.substring(space + 1));
    }

    private static int usage(String problem) {
        if (!problem.isEmpty()) {
            System.err.println("error: " + problem);
        }
        System.err.println("usage: Example lookup INDEX MATERIAL DATE RECIPIENT...");
        System.err.println("       Example batch INDEX MATERIAL DATE cpr|cvr NUMBER...");
        System.err.println("       Example number INDEX MATERIAL DATE cpr|cvr NUMBER...");
        System.err.println("DATE is YYYY-MM-DD or today");
        return 2;
    }
}
