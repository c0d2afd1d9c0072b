// Example: tilmelding from C#. Prints one line per recipient, like `tilmelding lookup`:
//
//   Program lookup INDEX MATERIAL DATE RECIPIENT...
//   Program batch  INDEX MATERIAL DATE cpr|cvr NUMBER...
//   Program number INDEX MATERIAL DATE cpr|cvr NUMBER...
//
// `batch` looks all NUMBERs up in one call; `number` makes one call per NUMBER
// with the material resolved once, as a system that decides one letter at a
// time does (Index.ResolveMaterial, then Index.Lookup with a number).
//
// DATE is YYYY-MM-DD or `today` (Danish time). Build and run (Mono):
//
//   mcs -out:Program.exe bindings/csharp/Tilmelding.cs examples/csharp/Program.cs
//   LD_LIBRARY_PATH=target/release mono Program.exe lookup x.tlm 100 today 0101901234

using System;
using System.Globalization;
using System.Text;
using Tilmelding;
// System.Index (C# 8 ranges) exists too, in .NET Core 3+ and in Mono's mscorlib.
using Index = Tilmelding.Index;

internal static class Program
{
    private const string Usage =
        "usage: Program lookup INDEX MATERIAL DATE RECIPIENT...\n" +
        "       Program batch INDEX MATERIAL DATE cpr|cvr NUMBER...\n" +
        "       Program number INDEX MATERIAL DATE cpr|cvr NUMBER...\n" +
        "DATE is YYYY-MM-DD or today";

    private static int Main(string[] args)
    {
        Console.OutputEncoding = new UTF8Encoding(false);
        bool batch = args.Length > 0 && args[0] == "batch";
        bool single = args.Length > 0 && args[0] == "number";
        int first = batch || single ? 5 : 4;
        if (args.Length <= first || (args[0] != "lookup" && !batch && !single))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        string path = args[1];
        string material = args[2];
        DateTime? date;
        if (!ParseDate(args[3], out date))
        {
            Console.Error.WriteLine("DATE {0} is neither YYYY-MM-DD nor today", args[3]);
            return 2;
        }

        Index index;
        try
        {
            index = Index.Open(path);
        }
        catch (TilmeldingException e)
        {
            Console.Error.WriteLine(e.Message);
            return 1;
        }
        catch (DllNotFoundException e)
        {
            Console.Error.WriteLine(
                "cannot load libtilmelding.so ({0}): put it next to Program.exe or in LD_LIBRARY_PATH",
                e.Message);
            return 1;
        }

        using (index)
        {
            try
            {
                if (batch || single)
                {
                    string[] numbers = Rest(args, first);
                    RecipientKind kind;
                    ulong[] recipients;
                    if (!ParseNumbers(args[4], numbers, out kind, out recipients))
                    {
                        return 2;
                    }
                    if (batch)
                    {
                        RunBatch(index, material, date, kind, numbers, recipients);
                    }
                    else
                    {
                        RunSingle(index, material, date, kind, numbers, recipients);
                    }
                    return 0;
                }
                foreach (string recipient in Rest(args, first))
                {
                    try
                    {
                        Print(recipient, index.Lookup(material, recipient, date));
                    }
                    catch (TilmeldingException e)
                    {
                        if (!IsAnswer(e.Code))
                        {
                            throw;
                        }
                        PrintError(recipient, e.Code);
                    }
                }
                return 0;
            }
            catch (TilmeldingException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
        }
    }

    private static bool ParseNumbers(
        string kindArg, string[] numbers, out RecipientKind kind, out ulong[] recipients)
    {
        recipients = null;
        if (kindArg == "cpr")
        {
            kind = RecipientKind.Cpr;
        }
        else if (kindArg == "cvr")
        {
            kind = RecipientKind.Cvr;
        }
        else
        {
            kind = RecipientKind.Cpr;
            Console.Error.WriteLine("recipient kind {0} is neither cpr nor cvr", kindArg);
            return false;
        }
        recipients = new ulong[numbers.Length];
        for (int i = 0; i < numbers.Length; i++)
        {
            if (!ulong.TryParse(numbers[i], NumberStyles.None, CultureInfo.InvariantCulture, out recipients[i]))
            {
                Console.Error.WriteLine("NUMBER {0} is not a number", numbers[i]);
                return false;
            }
        }
        return true;
    }

    private static void RunBatch(
        Index index, string material, DateTime? date, RecipientKind kind, string[] numbers, ulong[] recipients)
    {
        try
        {
            Answer[] answers = index.LookupBatch(material, kind, recipients, date);
            for (int i = 0; i < answers.Length; i++)
            {
                if (answers[i].IsOk)
                {
                    Print(numbers[i], answers[i]);
                }
                else
                {
                    PrintError(numbers[i], answers[i].Result);
                }
            }
        }
        catch (TilmeldingException e)
        {
            // The whole batch failed: the same answer for every recipient, as the CLI gives.
            if (!IsAnswer(e.Code))
            {
                throw;
            }
            foreach (string number in numbers)
            {
                PrintError(number, e.Code);
            }
        }
    }

    private static void RunSingle(
        Index index, string materialId, DateTime? date, RecipientKind kind, string[] numbers, ulong[] recipients)
    {
        Material material;
        try
        {
            material = index.ResolveMaterial(materialId);
        }
        catch (TilmeldingException e)
        {
            // An unknown material: the same answer for every recipient, as the CLI gives.
            if (!IsAnswer(e.Code))
            {
                throw;
            }
            foreach (string number in numbers)
            {
                PrintError(number, e.Code);
            }
            return;
        }
        for (int i = 0; i < recipients.Length; i++)
        {
            try
            {
                Print(numbers[i], index.Lookup(material, kind, recipients[i], date));
            }
            catch (TilmeldingException e)
            {
                if (!IsAnswer(e.Code))
                {
                    throw;
                }
                PrintError(numbers[i], e.Code);
            }
        }
    }

    private static bool ParseDate(string text, out DateTime? date)
    {
        date = null;
        if (text == "today")
        {
            return true;
        }
        DateTime d;
        if (!DateTime.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out d))
        {
            return false;
        }
        date = d;
        return true;
    }

    private static string[] Rest(string[] args, int from)
    {
        string[] rest = new string[args.Length - from];
        Array.Copy(args, from, rest, 0, rest.Length);
        return rest;
    }

    /// <summary>Failures that are answers about one recipient, printed as `error CODE`.</summary>
    private static bool IsAnswer(ResultCode code)
    {
        return code == ResultCode.UnknownMaterial
            || code == ResultCode.InvalidRecipient
            || code == ResultCode.AudienceMismatch;
    }

    private static void Print(string recipient, Answer a)
    {
        Console.WriteLine("{0,-12} {1,-9} {2}", recipient, a.Channel.Text(), a.Reason.Text());
    }

    private static void PrintError(string recipient, ResultCode code)
    {
        Console.WriteLine("{0,-12} {1,-9} {2}", recipient, "error", CodeName(code));
    }

    private static string CodeName(ResultCode code)
    {
        switch (code)
        {
            case ResultCode.UnknownMaterial: return "unknown_material";
            case ResultCode.InvalidRecipient: return "invalid_recipient";
            case ResultCode.AudienceMismatch: return "audience_mismatch";
            default: return code.ToString();
        }
    }
}
