// Exercises what Program.cs does not: Info, SnapshotId, Dispose, and the
// exceptions. Prints `key value` lines for the test to check.
using System;
using System.IO;
using System.Threading;
using Tilmelding;
using Index = Tilmelding.Index;

internal static class ApiCheck
{
    private static int Main(string[] args)
    {
        Index index = Index.Open(args[0]);
        using (Index verified = Index.OpenVerified(args[0]))
        {
            verified.Verify();
            Console.WriteLine("verified " + verified.SnapshotId);
        }
        // args[2]: a copy of args[0], removed once loaded: the loaded index answers without it.
        using (Index loaded = Index.Load(args[2]))
        {
            File.Delete(args[2]);
            Console.WriteLine("loaded " + loaded.SnapshotId + " " + File.Exists(args[2]) + " "
                + loaded.Lookup("100", "0101901234", new DateTime(2026, 11, 22)));
        }
        // args[1]: a copy changed and resealed, which opens but fails verification.
        using (Index resealed = Index.Open(args[1]))
        {
            try
            {
                resealed.Verify();
            }
            catch (TilmeldingException e)
            {
                Console.WriteLine("verify_resealed " + e.Code + " " + e.Message.Contains("snapshot"));
            }
        }
        try
        {
            Index.OpenVerified(args[1]);
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine("open_verified_resealed " + e.Code + " " + e.Message.Contains(args[1]));
        }
        IndexInfo info = index.Info;
        Console.WriteLine("snapshot_id " + index.SnapshotId);
        Console.WriteLine("format_version " + info.FormatMajor + "." + info.FormatMinor);
        Console.WriteLine("materials " + info.Materials);
        Console.WriteLine("groups " + info.Groups);
        Console.WriteLine("sender_systems " + info.SenderSystems);
        Console.WriteLine("cpr " + info.CprContacts);
        Console.WriteLine("cvr " + info.CvrContacts);
        Console.WriteLine("file_size " + info.FileSize);
        Console.WriteLine("as_of " + info.AsOf.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Console.WriteLine("build_time " + info.BuildTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
        Console.WriteLine("version " + Index.LibraryVersion);
        Console.WriteLine("lookup " + index.Lookup("100", "0101901234", new DateTime(2026, 11, 22)));
        Console.WriteLine("empty_batch " + index.LookupBatch("100", RecipientKind.Cpr, new ulong[0]).Length);
        try
        {
            index.Lookup("100", "3102901234");
        }
        catch (TilmeldingException e)
        {
            // The message masks the serial part of a CPR number.
            Console.WriteLine("invalid " + e.Code + " " + e.Message.Contains("1234"));
        }
        try
        {
            index.Lookup("100", "0101901234\0junk");
        }
        catch (ArgumentException e)
        {
            Console.WriteLine("nul " + e.GetType().Name);
        }
        try
        {
            index.Lookup("10\uD8000", "0101901234");
        }
        catch (ArgumentException e)
        {
            Console.WriteLine("surrogate " + e.ParamName);
        }
        try
        {
            index.LookupBatch("100", (RecipientKind)7, new ulong[] { 101901234 });
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine("bad_kind " + e.Code);
        }
        // A message longer than the first buffer LastErrorMessage tries: a long
        // path (a material ID is cut short in messages).
        string longPath = System.IO.Path.Combine(
            System.IO.Path.GetDirectoryName(args[0]), new string('x', 200), new string('y', 200) + ".tlm");
        try
        {
            Index.Open(longPath);
        }
        catch (TilmeldingException e)
        {
            Console.WriteLine("long_message " + e.Code + " " + e.Message.Contains(longPath));
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
                        index.LookupBatch("100", RecipientKind.Cpr, new ulong[] { 101901234, 202902345 });
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
        index.Dispose();
        foreach (Thread t in threads)
        {
            t.Join();
        }
        try
        {
            index.Lookup("100", "0101901234");
        }
        catch (ObjectDisposedException)
        {
            Console.WriteLine("disposed ObjectDisposedException");
        }
        return 0;
    }
}
