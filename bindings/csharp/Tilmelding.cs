// C# bindings to tilmelding's C ABI (include/tilmelding.h, which is the contract).
//
// Written for both Mono (mcs, C# 6 language level) and modern .NET: no
// Mono-only APIs, no language features newer than C# 6. Strings cross the
// boundary as NUL-terminated UTF-8 byte arrays marshalled by hand, because the
// default string marshalling of Mono and .NET is not UTF-8 on every platform.

using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Tilmelding
{
    /// <summary>The outcome of a native call (<c>tlm_result</c>). Numbers are never reused.</summary>
    public enum ResultCode : uint
    {
        /// <summary>Success (<c>TLM_OK</c>).</summary>
        Ok = 0,
        /// <summary>A required pointer argument was NULL (<c>TLM_NULL_ARGUMENT</c>).</summary>
        NullArgument = 1,
        /// <summary>An argument is invalid: not UTF-8, an impossible date, an unknown recipient kind (<c>TLM_INVALID_ARGUMENT</c>).</summary>
        InvalidArgument = 2,
        /// <summary>The index file could not be opened, read or mapped (<c>TLM_IO</c>).</summary>
        Io = 3,
        /// <summary>The bytes are not a valid index (<c>TLM_CORRUPT_INDEX</c>).</summary>
        CorruptIndex = 4,
        /// <summary>The index was written in a format version this library does not read (<c>TLM_UNSUPPORTED_VERSION</c>).</summary>
        UnsupportedVersion = 5,
        /// <summary>The material ID is not in the index (<c>TLM_UNKNOWN_MATERIAL</c>).</summary>
        UnknownMaterial = 6,
        /// <summary>The recipient is not a valid CPR or CVR number (<c>TLM_INVALID_RECIPIENT</c>).</summary>
        InvalidRecipient = 7,
        /// <summary>The material has no subscription group for the recipient's audience (<c>TLM_AUDIENCE_MISMATCH</c>).</summary>
        AudienceMismatch = 8,
        /// <summary>The caller's buffer is too small for the result (<c>TLM_BUFFER_TOO_SMALL</c>).</summary>
        BufferTooSmall = 9,
        /// <summary>An internal error (a bug in tilmelding) was caught at the boundary (<c>TLM_PANIC</c>).</summary>
        Panic = 10,
        /// <summary>The index's list is older than the maximum age set for it (<c>TLM_STALE_INDEX</c>).</summary>
        StaleIndex = 11,
    }

    /// <summary>The channel a letter takes (<c>tlm_channel</c>).</summary>
    public enum Channel : byte
    {
        /// <summary>No answer: the element's <see cref="Answer.Result"/> is not <see cref="ResultCode.Ok"/>.</summary>
        None = 0,
        /// <summary>Digital Post (channel code D).</summary>
        Digital = 1,
        /// <summary>NemSMS (channel code S).</summary>
        Nemsms = 2,
        /// <summary>Physical post, on paper (channel code F).</summary>
        Physical = 3,
    }

    /// <summary>Why the letter takes its channel (<c>tlm_reason</c>).</summary>
    public enum Reason : byte
    {
        /// <summary>No answer: the element's <see cref="Answer.Result"/> is not <see cref="ResultCode.Ok"/>.</summary>
        None = 0,
        /// <summary>Registered for Digital Post (or, for NemSMS material, subscribes to NemSMS).</summary>
        Registered = 1,
        /// <summary>The sender system's certificate expired before the date.</summary>
        SenderCertificateExpired = 2,
        /// <summary>The date is before the activation date of the material's group.</summary>
        GroupNotActive = 3,
        /// <summary>Not in the contact register, or status unknown.</summary>
        NotRegistered = 4,
        /// <summary>Closed: deceased or dissolved.</summary>
        Closed = 5,
        /// <summary>Registration unconfirmed or awaiting registration.</summary>
        PendingRegistration = 6,
        /// <summary>Exempt from Digital Post on the date.</summary>
        Exempt = 7,
        /// <summary>Exempt, but the material is sent digitally by special law.</summary>
        MandatoryDespiteExemption = 8,
        /// <summary>NemSMS material, and the recipient does not subscribe to NemSMS.</summary>
        NoNemsms = 9,
    }

    /// <summary>
    /// The names the CLI prints for channels and reasons (<c>digital</c>, <c>not_registered</c>),
    /// as the native library gives them (<c>tlm_channel_name</c>, <c>tlm_reason_name</c>): one
    /// list of names for every language.
    /// </summary>
    public static class Names
    {
        private static readonly string[] Channels = Load(Native.tlm_channel_name);
        private static readonly string[] Reasons = Load(Native.tlm_reason_name);

        /// <summary>The name the CLI prints for <paramref name="channel"/>, e.g. <c>digital</c>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Not a channel the library knows.</exception>
        public static string Text(this Channel channel)
        {
            return Lookup(Channels, (uint)channel, "channel");
        }

        /// <summary>The name the CLI prints for <paramref name="reason"/>, e.g. <c>not_registered</c>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">Not a reason the library knows.</exception>
        public static string Text(this Reason reason)
        {
            return Lookup(Reasons, (uint)reason, "reason");
        }

        private static string Lookup(string[] names, uint code, string paramName)
        {
            if (code >= names.Length)
            {
                throw new ArgumentOutOfRangeException(paramName, code, "not known to the native library");
            }
            return names[code];
        }

        /// <summary>Every name from 0 up to the first number the library calls no name (NULL).</summary>
        private static string[] Load(Func<uint, IntPtr> name)
        {
            List<string> names = new List<string>();
            for (uint code = 0; ; code++)
            {
                IntPtr text = name(code);
                if (text == IntPtr.Zero)
                {
                    return names.ToArray();
                }
                names.Add(Native.Utf8At(text));
            }
        }
    }

    /// <summary>The kind of recipient numbers in a batch (<c>tlm_recipient_kind</c>).</summary>
    public enum RecipientKind : uint
    {
        /// <summary>CPR numbers: the ten digits DDMMYYSSSS read as one integer (0101901234 is 101901234).</summary>
        Cpr = 0,
        /// <summary>CVR numbers: the eight-digit number.</summary>
        Cvr = 1,
    }

    /// <summary>
    /// One answer (<c>tlm_answer</c>, 8 bytes): <see cref="Result"/> is <see cref="ResultCode.Ok"/>
    /// and <see cref="Channel"/> and <see cref="Reason"/> say where the letter goes and why; or, in a
    /// batch, <see cref="Result"/> says why this recipient has no answer (e.g.
    /// <see cref="ResultCode.InvalidRecipient"/>) and <see cref="Channel"/> and <see cref="Reason"/> are None.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Answer
    {
        private uint result;
        private byte channel;
        private byte reason;
        private ushort reserved;

        /// <summary><see cref="ResultCode.Ok"/>, or why this element has no answer.</summary>
        public ResultCode Result { get { return (ResultCode)result; } }

        /// <summary>Whether this element has an answer (<see cref="Result"/> is <see cref="ResultCode.Ok"/>).</summary>
        public bool IsOk { get { return result == (uint)ResultCode.Ok; } }

        /// <summary>Where the letter goes; <see cref="Tilmelding.Channel.None"/> when <see cref="IsOk"/> is false.</summary>
        public Channel Channel { get { return (Channel)channel; } }

        /// <summary>Why; <see cref="Tilmelding.Reason.None"/> when <see cref="IsOk"/> is false.</summary>
        public Reason Reason { get { return (Reason)reason; } }

        /// <summary>For logs: <c>Digital/Registered</c>, or <c>error InvalidRecipient</c>.</summary>
        public override string ToString()
        {
            return IsOk ? Channel + "/" + Reason : "error " + Result;
        }
    }

    /// <summary>Facts about an open index (<c>tlm_info</c>).</summary>
    public sealed class IndexInfo
    {
        internal IndexInfo(Native.Info info)
        {
            FormatMajor = info.format_major;
            FormatMinor = info.format_minor;
            Materials = info.materials;
            Groups = info.groups;
            SenderSystems = info.sender_systems;
            BuildTime = DateTimeOffset.FromUnixTimeSeconds(info.build_time);
            AsOf = DateTimeOffset.FromUnixTimeSeconds(info.as_of);
            CprContacts = info.cpr_contacts;
            CvrContacts = info.cvr_contacts;
            FileSize = info.file_size;
        }

        /// <summary>Format major version.</summary>
        public ushort FormatMajor { get; private set; }
        /// <summary>Format minor version.</summary>
        public ushort FormatMinor { get; private set; }
        /// <summary>Number of materials.</summary>
        public uint Materials { get; private set; }
        /// <summary>Number of subscription groups.</summary>
        public uint Groups { get; private set; }
        /// <summary>Number of sender systems.</summary>
        public uint SenderSystems { get; private set; }
        /// <summary>When the index was built (UTC).</summary>
        public DateTimeOffset BuildTime { get; private set; }
        /// <summary>When the contact list was extracted (UTC).</summary>
        public DateTimeOffset AsOf { get; private set; }
        /// <summary>CPR recipients in the register.</summary>
        public ulong CprContacts { get; private set; }
        /// <summary>CVR recipients in the register.</summary>
        public ulong CvrContacts { get; private set; }
        /// <summary>Size of the index file in bytes.</summary>
        public ulong FileSize { get; private set; }
    }

    /// <summary>
    /// A failed call into tilmelding: <see cref="Code"/> is the native result code and
    /// <see cref="Exception.Message"/> the library's detail (naming the file, the argument or the
    /// masked recipient; never a full CPR number).
    /// </summary>
    public class TilmeldingException : Exception
    {
        /// <summary>Creates an exception for <paramref name="code"/> with <paramref name="message"/>.</summary>
        public TilmeldingException(ResultCode code, string message) : base(message)
        {
            Code = code;
        }

        /// <summary>The native result code (never <see cref="ResultCode.Ok"/>).</summary>
        public ResultCode Code { get; private set; }

        /// <summary>
        /// Builds the exception for a call that just returned <paramref name="code"/>. Must run on
        /// the thread that made the call, before any other tilmelding call on that thread, since
        /// the detail is kept per thread and overwritten by the next failure.
        /// </summary>
        internal static TilmeldingException FromLastError(ResultCode code)
        {
            string detail = Native.LastErrorMessage();
            if (detail.Length == 0)
            {
                detail = Native.StrError(code);
            }
            return new TilmeldingException(code, detail);
        }
    }

    /// <summary>
    /// The native handle of an open index (<c>tlm_index*</c>); releasing it calls <c>tlm_index_close</c>.
    /// </summary>
    /// <remarks>
    /// Passed to every P/Invoke as a <see cref="SafeHandle"/>, so the runtime increments its
    /// reference count for the duration of each native call. Disposing it while calls are in
    /// flight marks it closed at once but runs <see cref="ReleaseHandle"/> (and so
    /// <c>tlm_index_close</c>) only after the last such call has returned: the native rule "must
    /// not be closed while another thread uses it" can therefore not be broken from C#.
    /// </remarks>
    internal sealed class IndexHandle : SafeHandle
    {
        /// <summary>Called by the marshaller for <c>out IndexHandle</c>.</summary>
        public IndexHandle() : base(IntPtr.Zero, true)
        {
        }

        /// <summary>Whether the handle is NULL (no index).</summary>
        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>Frees the native index. Runs exactly once (SafeHandle guarantees it).</summary>
        protected override bool ReleaseHandle()
        {
            Native.tlm_index_close(handle);
            return true;
        }
    }

    /// <summary>
    /// An open tilmelding index: a memory-mapped, checked, immutable snapshot of Digital Post's
    /// complete subscription list. Answers, for a material, a recipient and a date, whether the
    /// letter goes by Digital Post, NemSMS or paper, and why.
    /// </summary>
    /// <remarks>
    /// <para>Thread safety: any number of threads may call
    /// <see cref="Lookup(string, string, DateTime?)"/>, <see cref="ResolveMaterial"/>,
    /// <see cref="Lookup(Material, RecipientKind, ulong, DateTime?)"/>, <see cref="LookupBatch"/>,
    /// <see cref="Info"/> and <see cref="SnapshotId"/> on one <see cref="Index"/> at once. Open one
    /// per process and share it.</para>
    /// <para>Lifetime: <see cref="Dispose"/> unmaps the file. It is idempotent. Do not dispose an
    /// index while other threads still use it: calls that start after <see cref="Dispose"/> throw
    /// <see cref="ObjectDisposedException"/>. Memory safety does not depend on that rule: the
    /// index is held in a <see cref="SafeHandle"/> whose reference count keeps the native index
    /// alive until calls already in flight have returned, and only then closes it.</para>
    /// <para>The index file must not be truncated or rewritten in place while it is open (the
    /// process would crash with SIGBUS); replace it by renaming a new file over it. An open
    /// <see cref="Index"/> keeps answering from the file it opened: a long-running service follows
    /// the path with a <see cref="Reader"/> instead.</para>
    /// <para>Name: <c>System.Index</c> exists too (.NET Core 3+, Mono). A file with
    /// <c>using System;</c> outside this namespace names this class <c>Tilmelding.Index</c> or
    /// aliases it: <c>using Index = Tilmelding.Index;</c>.</para>
    /// </remarks>
    public sealed class Index : IDisposable
    {
        private readonly IndexHandle handle;

        /// <summary>Wraps an open handle: from <see cref="Open"/> or <see cref="Reader.Current"/>.</summary>
        internal Index(IndexHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>
        /// Opens the index file at <paramref name="path"/>: maps it into memory and checks it
        /// (header, bounds, every checksum; <see cref="OpenVerified"/> checks more).
        /// </summary>
        /// <param name="path">The index file (passed to the library as UTF-8).</param>
        /// <returns>The open index; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="TilmeldingException">The file cannot be opened (<see cref="ResultCode.Io"/>),
        /// is not a valid index (<see cref="ResultCode.CorruptIndex"/>) or has an unsupported format
        /// version (<see cref="ResultCode.UnsupportedVersion"/>); the message names the path.</exception>
        public static Index Open(string path)
        {
            return Opened(Native.tlm_index_open, path);
        }

        /// <summary>
        /// <see cref="Open"/>, and then verifies the file fully (<see cref="Verify"/>): where an index
        /// file arrives from elsewhere. About 20 ms for a national index on two cores.
        /// </summary>
        /// <param name="path">The index file (passed to the library as UTF-8).</param>
        /// <returns>The open, verified index; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="TilmeldingException">As <see cref="Open"/>; also
        /// <see cref="ResultCode.CorruptIndex"/> for a file that opens but fails verification, the
        /// message naming the path and the first problem found.</exception>
        public static Index OpenVerified(string path)
        {
            return Opened(Native.tlm_index_open_verified, path);
        }

        /// <summary>
        /// Reads the index file at <paramref name="path"/> into memory of this process's own
        /// (backed by huge pages where Linux grants them) instead of mapping it, with
        /// <see cref="Open"/>'s checks: for a server whose lookups mostly find the index out of the
        /// cache, each then saves page table walks. Costs the file's size in private memory per
        /// process; the index no longer depends on the file, which may be replaced or removed.
        /// </summary>
        /// <param name="path">The index file (passed to the library as UTF-8).</param>
        /// <returns>The loaded index; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="TilmeldingException">As <see cref="Open"/>.</exception>
        public static Index Load(string path)
        {
            return Opened(Native.tlm_index_load, path);
        }

        private delegate ResultCode OpenCall(byte[] path, out IndexHandle index);

        private static Index Opened(OpenCall open, string path)
        {
            byte[] utf8 = Native.Utf8(path, "path");
            IndexHandle handle;
            ResultCode rc = open(utf8, out handle);
            if (rc != ResultCode.Ok)
            {
                TilmeldingException e = TilmeldingException.FromLastError(rc);
                if (handle != null)
                {
                    handle.Dispose();
                }
                throw e;
            }
            return new Index(handle);
        }

        /// <summary>
        /// Which channel a letter of <paramref name="material"/> to <paramref name="recipient"/>
        /// takes on <paramref name="date"/>, and why.
        /// </summary>
        /// <param name="material">The material ID.</param>
        /// <param name="recipient">A CPR (<c>DDMMYYSSSS</c>, <c>DDMMYY-SSSS</c>) or CVR
        /// (<c>12345678</c>, <c>DK12345678</c>) number.</param>
        /// <param name="date">The date of sending: only its calendar date (Year, Month, Day) is
        /// used, as given, without time zone conversion. Null means today in Danish time.</param>
        /// <returns>The answer; its <see cref="Answer.IsOk"/> is always true.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">A string argument contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        /// <exception cref="TilmeldingException">With <see cref="TilmeldingException.Code"/>
        /// <see cref="ResultCode.UnknownMaterial"/>, <see cref="ResultCode.InvalidRecipient"/> or
        /// <see cref="ResultCode.AudienceMismatch"/>; <see cref="ResultCode.StaleIndex"/> if a maximum
        /// age is set (<see cref="SetMaxAge"/>) and the list is older.</exception>
        public Answer Lookup(string material, string recipient, DateTime? date = null)
        {
            byte[] materialUtf8 = Native.Utf8(material, "material");
            byte[] recipientUtf8 = Native.Utf8(recipient, "recipient");
            CheckNotDisposed();
            Answer answer;
            ResultCode rc = Native.tlm_index_lookup(handle, materialUtf8, recipientUtf8, DateArg(date), out answer);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return answer;
        }

        /// <summary>
        /// Resolves the material ID <paramref name="id"/> once, for <see cref="Lookup(Material,
        /// RecipientKind, ulong, DateTime?)"/>: the fast path of a case system that decides one
        /// letter at a time for the same material.
        /// </summary>
        /// <remarks>
        /// The <see cref="Tilmelding.Material"/> is valid on this <see cref="Index"/> object only:
        /// another index (a newer list, another file) may number its materials differently, so
        /// every other <see cref="Index"/> refuses it, even one opened on the same file. For that
        /// reason <see cref="Reader"/> has no such method: a reader swaps in a new snapshot on
        /// refresh. With a reader, pin a snapshot with <see cref="Reader.Current"/> and resolve the
        /// material on that index. Resolving is not refused on a stale index
        /// (<see cref="SetMaxAge"/>); the lookups are.
        /// </remarks>
        /// <param name="id">The material ID.</param>
        /// <returns>The material as this index numbers it.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="id"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="id"/> contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        /// <exception cref="TilmeldingException">With <see cref="TilmeldingException.Code"/>
        /// <see cref="ResultCode.UnknownMaterial"/>: the material is not in the index.</exception>
        public Material ResolveMaterial(string id)
        {
            byte[] idUtf8 = Native.Utf8(id, "id");
            CheckNotDisposed();
            uint number;
            ResultCode rc = Native.tlm_index_material(handle, idUtf8, out number);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return new Material(this, number, id);
        }

        /// <summary>
        /// <see cref="Lookup(string, string, DateTime?)"/> for hot loops: the material resolved
        /// once by <see cref="ResolveMaterial"/> on this index, the recipient as a number, as
        /// <see cref="LookupBatch"/> takes it. No string is converted, parsed or hashed per call.
        /// </summary>
        /// <param name="material">A material from <see cref="ResolveMaterial"/> on this index.</param>
        /// <param name="kind">Whether <paramref name="recipient"/> is a CPR or a CVR number.</param>
        /// <param name="recipient">A CPR number's ten digits as one integer (0101901234 is
        /// 101901234), or a CVR number.</param>
        /// <param name="date">As for <see cref="Lookup(string, string, DateTime?)"/>; null means
        /// today in Danish time.</param>
        /// <returns>The answer; its <see cref="Answer.IsOk"/> is always true.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="material"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="material"/> was resolved by another
        /// <see cref="Index"/>.</exception>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        /// <exception cref="TilmeldingException">With <see cref="TilmeldingException.Code"/>
        /// <see cref="ResultCode.InvalidRecipient"/> (the number is not a valid number of
        /// <paramref name="kind"/>; the message masks a CPR number's serial) or
        /// <see cref="ResultCode.AudienceMismatch"/> (the material has no group for
        /// <paramref name="kind"/>); <see cref="ResultCode.StaleIndex"/> if a maximum age is set
        /// (<see cref="SetMaxAge"/>) and the list is older; <see cref="ResultCode.InvalidArgument"/>
        /// for an undefined <paramref name="kind"/>.</exception>
        public Answer Lookup(Material material, RecipientKind kind, ulong recipient, DateTime? date = null)
        {
            if (material == null)
            {
                throw new ArgumentNullException("material");
            }
            if (!ReferenceEquals(material.Owner, this))
            {
                throw new ArgumentException(
                    "material " + material.Id + " was resolved by another Index; resolve it on this one",
                    "material");
            }
            CheckNotDisposed();
            Answer answer;
            ResultCode rc = Native.tlm_index_lookup_number(
                handle, material.Number, kind, recipient, DateArg(date), out answer);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return answer;
        }

        /// <summary>
        /// Looks up many recipients of one <paramref name="kind"/> for one material and date in a
        /// single native call (a mass mailing of a million letters is one call).
        /// </summary>
        /// <param name="material">The material ID.</param>
        /// <param name="kind">Whether <paramref name="recipients"/> are CPR or CVR numbers.</param>
        /// <param name="recipients">The numbers: a CPR number's ten digits as one integer
        /// (0101901234 is 101901234), or a CVR number.</param>
        /// <param name="date">As for <see cref="Lookup(string, string, DateTime?)"/>; null means
        /// today in Danish time.</param>
        /// <returns>One answer per recipient, in order. A number that is not a valid CPR/CVR
        /// number gets <see cref="Answer.Result"/> <see cref="ResultCode.InvalidRecipient"/> in its
        /// element; the others are answered.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">A string argument contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        /// <exception cref="TilmeldingException">For the whole batch:
        /// <see cref="ResultCode.UnknownMaterial"/>, <see cref="ResultCode.AudienceMismatch"/> (the
        /// material has no group for <paramref name="kind"/>), <see cref="ResultCode.StaleIndex"/>
        /// (see <see cref="SetMaxAge"/>) or <see cref="ResultCode.InvalidArgument"/> (an undefined
        /// <paramref name="kind"/>).</exception>
        public Answer[] LookupBatch(
            string material, RecipientKind kind, ulong[] recipients, DateTime? date = null)
        {
            byte[] materialUtf8 = Native.Utf8(material, "material");
            if (recipients == null)
            {
                throw new ArgumentNullException("recipients");
            }
            CheckNotDisposed();
            Answer[] answers = new Answer[recipients.Length];
            ResultCode rc = Native.tlm_index_lookup_batch(
                handle, materialUtf8, kind, recipients,
                new UIntPtr((uint)recipients.Length), DateArg(date), answers);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return answers;
        }

        /// <summary>
        /// Verifies the index fully, as <c>tilmelding verify</c> does: recomputes the snapshot id
        /// from the file and checks every section's contents, which catches a file that was
        /// changed and its checksums recomputed (<see cref="Open"/> checks only the checksums).
        /// May run while other threads look up.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        /// <exception cref="TilmeldingException"><see cref="ResultCode.CorruptIndex"/>: the file fails
        /// verification; the message names the first problem found.</exception>
        public void Verify()
        {
            CheckNotDisposed();
            ResultCode rc = Native.tlm_index_verify(handle);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
        }

        /// <summary>Facts about the index: format version, times, counts.</summary>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        public IndexInfo Info
        {
            get
            {
                CheckNotDisposed();
                Native.Info info;
                ResultCode rc = Native.tlm_index_info(handle, out info);
                if (rc != ResultCode.Ok)
                {
                    throw TilmeldingException.FromLastError(rc);
                }
                return new IndexInfo(info);
            }
        }

        /// <summary>
        /// The index's snapshot id: 64 lowercase hex digits. Log it with every answer to tie the
        /// answer to the list that gave it.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        public string SnapshotId
        {
            get
            {
                CheckNotDisposed();
                byte[] buf = new byte[Native.SnapshotIdLen + 1];
                ResultCode rc = Native.tlm_index_snapshot_id(handle, buf, new UIntPtr((uint)buf.Length));
                if (rc != ResultCode.Ok)
                {
                    throw TilmeldingException.FromLastError(rc);
                }
                return Encoding.ASCII.GetString(buf, 0, Native.SnapshotIdLen);
            }
        }

        /// <summary>
        /// Refuses answers from a list that is too old: once the list's as-of time
        /// (<see cref="IndexInfo.AsOf"/>) is more than <paramref name="maxAge"/> in the past, every
        /// lookup (both <see cref="Lookup(string, string, DateTime?)"/> and
        /// <see cref="Lookup(Material, RecipientKind, ulong, DateTime?)"/>) and
        /// <see cref="LookupBatch"/> throws <see cref="TilmeldingException"/>
        /// with <see cref="ResultCode.StaleIndex"/>, so that an index that was not replaced in time
        /// cannot silently decide a letter. Null or <see cref="TimeSpan.Zero"/> turns the check off
        /// (the default). Whole seconds; a fraction counts as a second.
        /// </summary>
        /// <remarks>
        /// The setting belongs to the index, not to this object: it also applies to every
        /// <see cref="Index"/> from <see cref="Reader.Current"/> on the same snapshot, and to the
        /// <see cref="Reader"/> while that snapshot serves. On a reader, use
        /// <see cref="Reader.SetMaxAge"/>, which also covers the indexes later refreshes swap in.
        /// Safe from any thread, concurrently with lookups.
        /// </remarks>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxAge"/> is negative.</exception>
        /// <exception cref="ObjectDisposedException">The index has been disposed.</exception>
        public void SetMaxAge(TimeSpan? maxAge)
        {
            ulong seconds = Native.MaxAgeSeconds(maxAge);
            CheckNotDisposed();
            ResultCode rc = Native.tlm_index_set_max_age(handle, seconds);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
        }

        /// <summary>The native library's version, e.g. <c>0.1.0</c>.</summary>
        public static string LibraryVersion
        {
            get { return Native.Utf8At(Native.tlm_version()); }
        }

        /// <summary>
        /// Closes the index (unmaps the file). Idempotent. Calls already in flight on other
        /// threads finish first (see the remarks on <see cref="Index"/>); later calls throw
        /// <see cref="ObjectDisposedException"/>.
        /// </summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private void CheckNotDisposed()
        {
            // The marshaller checks too (a closed SafeHandle cannot be passed), but its exception
            // does not name this class.
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("Tilmelding.Index");
            }
        }

        /// <summary>The native date argument: <c>YYYYMMDD</c>, or 0 for today in Danish time.</summary>
        internal static int DateArg(DateTime? date)
        {
            if (!date.HasValue)
            {
                return 0;
            }
            DateTime d = date.Value;
            return d.Year * 10000 + d.Month * 100 + d.Day;
        }
    }

    /// <summary>
    /// A material ID resolved once by <see cref="Index.ResolveMaterial"/>, for the fast single
    /// lookup <see cref="Index.Lookup(Material, RecipientKind, ulong, DateTime?)"/>.
    /// </summary>
    /// <remarks>
    /// Valid on the <see cref="Index"/> object that resolved it, and only there: another index may
    /// number its materials differently, so every other <see cref="Index"/> (even one on the same
    /// file) refuses it with <see cref="ArgumentException"/>. It holds no native resource and
    /// needs no disposing; it keeps its <see cref="Index"/> object reachable. Immutable, so any
    /// number of threads may use one at once.
    /// </remarks>
    public sealed class Material
    {
        internal Material(Index owner, uint number, string id)
        {
            Owner = owner;
            Number = number;
            Id = id;
        }

        /// <summary>The material ID, as given to <see cref="Index.ResolveMaterial"/>.</summary>
        public string Id { get; private set; }

        /// <summary>
        /// The material's number in the index that resolved it: meaningful on that index only
        /// (for diagnostics; lookups take the <see cref="Material"/> itself).
        /// </summary>
        public uint Number { get; private set; }

        /// <summary>The index that resolved it.</summary>
        internal Index Owner { get; private set; }

        /// <summary>The material ID.</summary>
        public override string ToString()
        {
            return Id;
        }
    }

    /// <summary>
    /// The native handle of a reader (<c>tlm_reader*</c>); releasing it calls <c>tlm_reader_close</c>,
    /// which also stops the reader's background refresh.
    /// </summary>
    /// <remarks>
    /// As for <see cref="IndexHandle"/>: every P/Invoke takes it as a <see cref="SafeHandle"/>, so
    /// <c>tlm_reader_close</c> runs only after the last call in flight has returned, and a
    /// <see cref="Reader"/> that is garbage collected without being disposed is closed by the
    /// finalizer (its background refresh stops then).
    /// </remarks>
    internal sealed class ReaderHandle : SafeHandle
    {
        /// <summary>Called by the marshaller for <c>out ReaderHandle</c>.</summary>
        public ReaderHandle() : base(IntPtr.Zero, true)
        {
        }

        /// <summary>Whether the handle is NULL (no reader).</summary>
        public override bool IsInvalid
        {
            get { return handle == IntPtr.Zero; }
        }

        /// <summary>
        /// Frees the native reader, stopping its background refresh (waiting up to about 50 ms, or
        /// until a refresh in progress ends). Runs exactly once (SafeHandle guarantees it).
        /// </summary>
        protected override bool ReleaseHandle()
        {
            Native.tlm_reader_close(handle);
            return true;
        }
    }

    /// <summary>
    /// Follows an index <em>path</em> whose file is replaced (renamed over) while the process runs,
    /// typically every day: answers from the index serving now, and swaps in the new file on
    /// <see cref="Refresh"/> or, every interval, on a background thread (<see cref="RefreshEvery"/>).
    /// Lookups never stop: those in flight finish on the old index.
    /// </summary>
    /// <remarks>
    /// <para>A long-running service opens one reader at start-up, sets a maximum age
    /// (<see cref="SetMaxAge"/>, e.g. 36 hours for a daily list) and a background refresh, and keeps
    /// the reader for the life of the process:</para>
    /// <code>
    /// Reader reader = Reader.Open("/srv/tilmelding/current.tlm");
    /// reader.SetMaxAge(TimeSpan.FromHours(36));
    /// reader.RefreshEvery(TimeSpan.FromMinutes(1));
    /// Answer a = reader.Lookup("100", "0101901234");
    /// </code>
    /// <para>A failed refresh (file missing, truncated, corrupt) keeps the current index serving:
    /// <see cref="Refresh"/> throws, and the background refresh records why in
    /// <see cref="RefreshError"/> and tries again at the next interval. With a maximum age, an index
    /// that is never replaced ends up refusing to decide (<see cref="ResultCode.StaleIndex"/>)
    /// instead of deciding on old data.</para>
    /// <para>To know which list made a decision, look up on <see cref="Current"/>, an
    /// <see cref="Index"/> pinned to the snapshot serving now, and log its
    /// <see cref="Index.SnapshotId"/>.</para>
    /// <para>Thread safety: any number of threads may call every method but <see cref="Dispose"/>
    /// at once, concurrently with refreshes. Lifetime: as <see cref="Index"/>: <see cref="Dispose"/>
    /// is idempotent, calls that start after it throw <see cref="ObjectDisposedException"/>, and
    /// calls already in flight finish first (the <see cref="SafeHandle"/> keeps the native reader
    /// alive until they return). Indexes from <see cref="Current"/> stay valid after the reader is
    /// disposed, until they are disposed themselves.</para>
    /// </remarks>
    public sealed class Reader : IDisposable
    {
        private readonly ReaderHandle handle;

        private Reader(ReaderHandle handle)
        {
            this.handle = handle;
        }

        /// <summary>
        /// Opens a reader on the index file at <paramref name="path"/>: opens and checks the file as
        /// <see cref="Index.Open"/> does, and remembers the path for later refreshes. No maximum
        /// age and no background refresh until they are set.
        /// </summary>
        /// <param name="path">The index path (passed to the library as UTF-8).</param>
        /// <returns>The reader; dispose it when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="path"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="path"/> contains a NUL character or an unpaired surrogate.</exception>
        /// <exception cref="TilmeldingException">As for <see cref="Index.Open"/>: the file cannot be
        /// opened (<see cref="ResultCode.Io"/>), is not a valid index
        /// (<see cref="ResultCode.CorruptIndex"/>) or has an unsupported format version
        /// (<see cref="ResultCode.UnsupportedVersion"/>); the message names the path.</exception>
        public static Reader Open(string path)
        {
            byte[] utf8 = Native.Utf8(path, "path");
            ReaderHandle handle;
            ResultCode rc = Native.tlm_reader_open(utf8, out handle);
            if (rc != ResultCode.Ok)
            {
                TilmeldingException e = TilmeldingException.FromLastError(rc);
                if (handle != null)
                {
                    handle.Dispose();
                }
                throw e;
            }
            return new Reader(handle);
        }

        /// <summary>
        /// Checks whether the file at the reader's path was replaced (another file: device, inode,
        /// size or modification time differ); if so opens it, checks it as <see cref="Index.Open"/> does and swaps it in
        /// atomically. The new index gets the reader's maximum age.
        /// </summary>
        /// <returns>True if a new index was swapped in; false if the file is unchanged.</returns>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        /// <exception cref="TilmeldingException">The file at the path cannot be opened
        /// (<see cref="ResultCode.Io"/>, e.g. it is missing), is not a valid index
        /// (<see cref="ResultCode.CorruptIndex"/>) or has an unsupported format version; the
        /// message names the path. The current index keeps serving.</exception>
        public bool Refresh()
        {
            CheckNotDisposed();
            uint replaced;
            ResultCode rc = Native.tlm_reader_refresh(handle, out replaced);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return replaced != 0;
        }

        /// <summary>
        /// Refreshes every <paramref name="interval"/> on a background thread owned by the native
        /// library, until the reader is disposed. A second call replaces the first. Failed refreshes
        /// keep the current index serving and are retried at the next interval;
        /// <see cref="RefreshError"/> tells why the latest one failed. Set a maximum age too
        /// (<see cref="SetMaxAge"/>), so that an index that is never replaced stops deciding.
        /// </summary>
        /// <param name="interval">How often to look at the file: positive; a fraction of a
        /// millisecond counts as a millisecond.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is zero or
        /// negative.</exception>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        public void RefreshEvery(TimeSpan interval)
        {
            if (interval <= TimeSpan.Zero)
            {
                throw new ArgumentOutOfRangeException("interval", interval, "must be positive");
            }
            ulong ms = ((ulong)interval.Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
            CheckNotDisposed();
            ResultCode rc = Native.tlm_reader_refresh_every(handle, ms);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
        }

        /// <summary>
        /// Why the latest background refresh (<see cref="RefreshEvery"/>) failed, naming the path;
        /// null when it succeeded, or when none has run. (<see cref="Refresh"/> throws instead.)
        /// Log it, e.g. from a health check: a refresh that keeps failing leaves the old index
        /// serving.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        public string RefreshError
        {
            get
            {
                CheckNotDisposed();
                // The background thread may replace the message between two calls, so a
                // message that did not fit is fetched again until one fits.
                byte[] buf = new byte[256];
                for (int attempt = 0; ; attempt++)
                {
                    ulong needed = Native.tlm_reader_refresh_error(handle, buf, new UIntPtr((uint)buf.Length)).ToUInt64();
                    if (needed == 0)
                    {
                        return null;
                    }
                    if (needed < (ulong)buf.Length || attempt == 3)
                    {
                        return Native.Utf8UpToNul(buf);
                    }
                    buf = new byte[checked((int)needed + 1)];
                }
            }
        }

        /// <summary>
        /// Sets the maximum age of the list for the index serving now and for every index a refresh
        /// swaps in later: once the list's as-of time is more than <paramref name="maxAge"/> in the
        /// past, lookups throw <see cref="TilmeldingException"/> with
        /// <see cref="ResultCode.StaleIndex"/>. Null or <see cref="TimeSpan.Zero"/> turns the check
        /// off (the default). Whole seconds; a fraction counts as a second. Safe from any thread,
        /// also while a refresh runs (the setting is never lost to a concurrent swap).
        /// </summary>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxAge"/> is negative.</exception>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        public void SetMaxAge(TimeSpan? maxAge)
        {
            ulong seconds = Native.MaxAgeSeconds(maxAge);
            CheckNotDisposed();
            ResultCode rc = Native.tlm_reader_set_max_age(handle, seconds);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
        }

        /// <summary>
        /// An <see cref="Index"/> pinned to the snapshot serving now: it keeps answering from that
        /// snapshot (and keeps its file mapped) whatever refreshes happen meanwhile, even after the
        /// reader is disposed. Use it to make several lookups against one snapshot and to log the
        /// <see cref="Index.SnapshotId"/> they came from; dispose it when done (typically per
        /// request or per mailing), so that an old snapshot's memory is released.
        /// </summary>
        /// <remarks>The pinned index shares the snapshot's maximum age with the reader.</remarks>
        /// <returns>A new <see cref="Index"/>, owned by the caller.</returns>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        public Index Current()
        {
            CheckNotDisposed();
            IndexHandle pinned;
            ResultCode rc = Native.tlm_reader_current(handle, out pinned);
            if (rc != ResultCode.Ok)
            {
                TilmeldingException e = TilmeldingException.FromLastError(rc);
                if (pinned != null)
                {
                    pinned.Dispose();
                }
                throw e;
            }
            return new Index(pinned);
        }

        /// <summary>
        /// <see cref="Index.Lookup(string, string, DateTime?)"/> on the index serving now: the same
        /// arguments, answers and exceptions (<see cref="ResultCode.StaleIndex"/> included). To tie
        /// the answer to its snapshot, look up on <see cref="Current"/> instead.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        public Answer Lookup(string material, string recipient, DateTime? date = null)
        {
            byte[] materialUtf8 = Native.Utf8(material, "material");
            byte[] recipientUtf8 = Native.Utf8(recipient, "recipient");
            CheckNotDisposed();
            Answer answer;
            ResultCode rc = Native.tlm_reader_lookup(
                handle, materialUtf8, recipientUtf8, Index.DateArg(date), out answer);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return answer;
        }

        /// <summary>
        /// <see cref="Index.LookupBatch"/> on the index serving now, the whole batch from one
        /// snapshot: the same arguments, answers and exceptions.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The reader has been disposed.</exception>
        public Answer[] LookupBatch(
            string material, RecipientKind kind, ulong[] recipients, DateTime? date = null)
        {
            byte[] materialUtf8 = Native.Utf8(material, "material");
            if (recipients == null)
            {
                throw new ArgumentNullException("recipients");
            }
            CheckNotDisposed();
            Answer[] answers = new Answer[recipients.Length];
            ResultCode rc = Native.tlm_reader_lookup_batch(
                handle, materialUtf8, kind, recipients,
                new UIntPtr((uint)recipients.Length), Index.DateArg(date), answers);
            if (rc != ResultCode.Ok)
            {
                throw TilmeldingException.FromLastError(rc);
            }
            return answers;
        }

        /// <summary>
        /// Closes the reader: stops its background refresh and releases the index serving now
        /// (unless an <see cref="Index"/> from <see cref="Current"/> still holds it). Idempotent.
        /// Calls already in flight on other threads finish first; later calls throw
        /// <see cref="ObjectDisposedException"/>.
        /// </summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        private void CheckNotDisposed()
        {
            if (handle.IsClosed)
            {
                throw new ObjectDisposedException("Tilmelding.Reader");
            }
        }
    }

    /// <summary>The C functions of include/tilmelding.h, and helpers for their strings.</summary>
    internal static class Native
    {
        private const string Lib = "tilmelding";

        /// <summary><c>TLM_SNAPSHOT_ID_LEN</c>.</summary>
        internal const int SnapshotIdLen = 64;

        /// <summary><c>tlm_info</c>: no padding anywhere (56 bytes).</summary>
        [StructLayout(LayoutKind.Sequential)]
        internal struct Info
        {
            internal ushort format_major;
            internal ushort format_minor;
            internal uint materials;
            internal uint groups;
            internal uint sender_systems;
            internal long build_time;
            internal long as_of;
            internal ulong cpr_contacts;
            internal ulong cvr_contacts;
            internal ulong file_size;
        }

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_open(byte[] path, out IndexHandle index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_open_verified(byte[] path, out IndexHandle index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_load(byte[] path, out IndexHandle index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_verify(IndexHandle index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void tlm_index_close(IntPtr index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_lookup(
            IndexHandle index, byte[] materialId, byte[] recipient, int dateYyyymmdd, out Answer answer);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_lookup_batch(
            IndexHandle index, byte[] materialId, RecipientKind kind,
            [In] ulong[] recipients, UIntPtr count, int dateYyyymmdd, [Out] Answer[] answers);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_material(
            IndexHandle index, byte[] materialId, out uint material);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_lookup_number(
            IndexHandle index, uint material, RecipientKind kind, ulong recipient, int dateYyyymmdd,
            out Answer answer);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_info(IndexHandle index, out Info info);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_snapshot_id(IndexHandle index, [Out] byte[] buf, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_index_set_max_age(IndexHandle index, ulong maxAgeSeconds);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_open(byte[] path, out ReaderHandle reader);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern void tlm_reader_close(IntPtr reader);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_refresh(ReaderHandle reader, out uint replaced);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_refresh_every(ReaderHandle reader, ulong intervalMs);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr tlm_reader_refresh_error(ReaderHandle reader, [Out] byte[] buf, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_set_max_age(ReaderHandle reader, ulong maxAgeSeconds);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_current(ReaderHandle reader, out IndexHandle index);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_lookup(
            ReaderHandle reader, byte[] materialId, byte[] recipient, int dateYyyymmdd, out Answer answer);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern ResultCode tlm_reader_lookup_batch(
            ReaderHandle reader, byte[] materialId, RecipientKind kind,
            [In] ulong[] recipients, UIntPtr count, int dateYyyymmdd, [Out] Answer[] answers);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr tlm_strerror(uint result);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern UIntPtr tlm_last_error_message([Out] byte[] buf, UIntPtr len);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr tlm_version();

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr tlm_channel_name(uint channel);

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        internal static extern IntPtr tlm_reason_name(uint reason);

        /// <summary>UTF-8 that refuses unpaired surrogates instead of replacing them.</summary>
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(false, true);

        /// <summary>
        /// <paramref name="s"/> as NUL-terminated UTF-8. A NUL inside would silently cut the
        /// string short on the native side, and an unpaired surrogate would silently become
        /// U+FFFD, so both are refused.
        /// </summary>
        internal static byte[] Utf8(string s, string paramName)
        {
            if (s == null)
            {
                throw new ArgumentNullException(paramName);
            }
            if (s.IndexOf('\0') >= 0)
            {
                throw new ArgumentException("contains a NUL character", paramName);
            }
            try
            {
                return StrictUtf8.GetBytes(s + "\0");
            }
            catch (EncoderFallbackException)
            {
                throw new ArgumentException("contains an unpaired surrogate", paramName);
            }
        }

        /// <summary>The NUL-terminated UTF-8 string at <paramref name="p"/> (static storage).</summary>
        internal static string Utf8At(IntPtr p)
        {
            if (p == IntPtr.Zero)
            {
                return "";
            }
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0)
            {
                n++;
            }
            byte[] bytes = new byte[n];
            Marshal.Copy(p, bytes, 0, n);
            return Encoding.UTF8.GetString(bytes);
        }

        /// <summary>The UTF-8 text in <paramref name="buf"/> up to its first NUL.</summary>
        internal static string Utf8UpToNul(byte[] buf)
        {
            int n = Array.IndexOf(buf, (byte)0);
            return Encoding.UTF8.GetString(buf, 0, n < 0 ? buf.Length : n);
        }

        /// <summary>
        /// A maximum age as the native argument: whole seconds, rounded up; 0 (off) for null or
        /// zero.
        /// </summary>
        internal static ulong MaxAgeSeconds(TimeSpan? maxAge)
        {
            if (!maxAge.HasValue)
            {
                return 0;
            }
            long ticks = maxAge.Value.Ticks;
            if (ticks < 0)
            {
                throw new ArgumentOutOfRangeException("maxAge", maxAge.Value, "must not be negative");
            }
            return ((ulong)ticks + TimeSpan.TicksPerSecond - 1) / TimeSpan.TicksPerSecond;
        }

        /// <summary>The static description of <paramref name="code"/>.</summary>
        internal static string StrError(ResultCode code)
        {
            return Utf8At(tlm_strerror((uint)code));
        }

        /// <summary>
        /// The detail of the last failure on this thread, in full: retries with a buffer of the
        /// returned length when the first one was too small.
        /// </summary>
        internal static string LastErrorMessage()
        {
            byte[] buf = new byte[256];
            ulong needed = tlm_last_error_message(buf, new UIntPtr((uint)buf.Length)).ToUInt64();
            if (needed >= (ulong)buf.Length)
            {
                buf = new byte[checked((int)needed + 1)];
                needed = tlm_last_error_message(buf, new UIntPtr((uint)buf.Length)).ToUInt64();
            }
            int n = (int)Math.Min(needed, (ulong)(buf.Length - 1));
            return Encoding.UTF8.GetString(buf, 0, n);
        }
    }
}
