// Exercises the fast single lookup (`Index.ResolveMaterial` and
// `Index.Lookup` with a `Material` and a number) beyond the table: the
// exceptions, a material from another index, a stale list and disposal.
// Prints `key value` lines for the test to check; answers as the CLI
// prints them (CliText.cs). Arguments: the fixture index, an index whose
// list is old.
using System;
using System.Threading;
using Tilmelding;
using Index = Tilmelding.Index;
using static CliText;

internal static class NumberCheck
{
    private static readonly DateTime Day = new DateTime(2026, 11, 22);

    private static int Main(string[] args)
    {
        Index index = Index.Open(args[0]);
        Material material = index.ResolveMaterial("100");
        Console.WriteLine("id " + material.Id + " " + material);
        Console.WriteLine("cpr " + Text(index.Lookup(material, RecipientKind.Cpr, 101901234, Day)));
        Console.WriteLine("cvr " + Text(index.Lookup(material, RecipientKind.Cvr, 10150817, Day)));
        // No date: today, on both paths (exempt in the first half of 2026: contacts.csv).
        Console.WriteLine("today_number " + Text(index.Lookup(material, RecipientKind.Cpr, 707907890)));
        Console.WriteLine("today_text " + Text(index.Lookup("100", "0707907890")));
        Report("unknown_material", () => index.ResolveMaterial("999"), "999");
        Report("resolve_null", () => index.ResolveMaterial(null), "");
        Report("resolve_nul", () => index.ResolveMaterial("100\0junk"), "");
        Report("lookup_null", () => index.Lookup((Material)null, RecipientKind.Cpr, 101901234, Day), "");
        // 31 February: the message may show the date part, never the serial.
        Report("invalid_cpr", () => index.Lookup(material, RecipientKind.Cpr, 3102901234, Day), "310290");
        // Bad check digit (a CVR number is not masked: none with "1234" here).
        Report("invalid_cvr", () => index.Lookup(material, RecipientKind.Cvr, 87654321, Day), "");
        Report("bad_kind", () => index.Lookup(material, (RecipientKind)7, 101901234, Day), "kind");

        // The same file opened twice: each index takes only its own materials.
        using (Index other = Index.Open(args[0]))
        {
            Report("other_index", () => other.Lookup(material, RecipientKind.Cpr, 101901234, Day), "");
            Material own = other.ResolveMaterial("100");
            Console.WriteLine("other_own " + Text(other.Lookup(own, RecipientKind.Cpr, 101901234, Day)));
            Report("other_back", () => index.Lookup(own, RecipientKind.Cpr, 101901234, Day), "");
        }

        // An old list: resolving works, lookups refuse while a maximum age is set.
        using (Index old = Index.Open(args[1]))
        {
            old.SetMaxAge(TimeSpan.FromSeconds(1));
            Material stale = old.ResolveMaterial("100");
            Report("stale", () => old.Lookup(stale, RecipientKind.Cpr, 101901234, Day), "");
            old.SetMaxAge(null);
            Console.WriteLine("fresh " + Text(old.Lookup(stale, RecipientKind.Cpr, 101901234, Day)));
        }

        // Lookups on other threads while the index is disposed: each call
        // either completes or throws ObjectDisposedException, never crashes.
        long calls = 0;
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() =>
            {
                try
                {
                    while (true)
                    {
                        index.Lookup(material, RecipientKind.Cpr, 101901234, Day);
                        Interlocked.Increment(ref calls);
                    }
                }
                catch (ObjectDisposedException)
                {
                }
            });
            threads[t].Start();
        }
        while (Interlocked.Read(ref calls) < 1000)
        {
            Thread.Sleep(1);
        }
        index.Dispose();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        Report("disposed_lookup", () => index.Lookup(material, RecipientKind.Cpr, 101901234, Day), "");
        Report("disposed_resolve", () => index.ResolveMaterial("100"), "");
        return 0;
    }

    /// Prints `key` and what `call` threw: a TilmeldingException's code,
    /// whether its message shows the serial of the CPR numbers used ("1234"
    /// right after their date part, with or without a dash: a bare "1234"
    /// may well be part of a list's age or a temporary path) and, unless
    /// `naming` is empty, whether it contains `naming`; another exception's
    /// type and parameter or object name.
    private static void Report(string key, Action call, string naming)
    {
        try
        {
            call();
            Console.WriteLine(key + " nothing");
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine(key + " " + e.Code + " serial:" + (e.Message.Contains("901234") || e.Message.Contains("90-1234"))
                + (naming.Length == 0 ? "" : " naming:" + e.Message.Contains(naming)));
        }
        catch (ArgumentException e)
        {
            Console.WriteLine(key + " " + e.GetType().Name + " " + e.ParamName);
        }
        catch (ObjectDisposedException e)
        {
            Console.WriteLine(key + " " + e.GetType().Name + " " + e.ObjectName);
        }
    }
}
