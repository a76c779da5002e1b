using System.Buffers;
using System.Text;

namespace Modulus.Modules;

/// <summary>
/// Writes the package's archive: POSIX ustar headers laid out byte for byte as GNU tar 1.34 writes
/// them with the flags the README gives (<c>--format=ustar --owner=0 --group=0 --numeric-owner
/// --mtime=@0 -b1</c>), so that anyone can rebuild a package with stock tools and get the same sha256.
/// Owning these few lines, rather than a general tar library, is what keeps every byte pinned.
/// </summary>
internal sealed class UstarWriter(Stream output)
{
    private const int Block = 512;

    /// <summary>The largest file ustar's 11 octal digits can size: 8 GiB less one byte.</summary>
    public const long MaxFileBytes = (1L << 33) - 1;

    private readonly byte[] _header = new byte[Block];

    /// <summary>Writes one regular file: its header, its bytes, and zeros to the next block.</summary>
    /// <exception cref="ModulePackageException">The path does not fit a ustar header, or the file is too large.</exception>
    public void WriteFile(string path, bool executable, Stream content, long length)
    {
        if (length > MaxFileBytes)
        {
            throw new ModulePackageException($"{path} is {length:N0} bytes; a package holds files of up to 8 GiB (the ustar format's limit)");
        }

        var (prefix, name) = SplitPath(path);
        Array.Clear(_header);
        var header = _header.AsSpan();
        name.CopyTo(header[..100]);
        Octal(header.Slice(100, 8), executable ? 0b111_101_101 : 0b110_100_100, 7);
        Octal(header.Slice(108, 8), 0, 7); // uid
        Octal(header.Slice(116, 8), 0, 7); // gid
        Octal(header.Slice(124, 12), length, 11);
        Octal(header.Slice(136, 12), 0, 11); // mtime
        header.Slice(148, 8).Fill((byte)' '); // checksum, counted as spaces
        header[156] = (byte)'0'; // regular file
        "ustar\0"u8.CopyTo(header[257..]);
        "00"u8.CopyTo(header[263..]);
        Octal(header.Slice(329, 8), 0, 7); // devmajor
        Octal(header.Slice(337, 8), 0, 7); // devminor
        prefix.CopyTo(header.Slice(345, 155));
        var sum = 0;
        foreach (var b in _header)
        {
            sum += b;
        }

        Octal(header.Slice(148, 7), sum, 6);
        header[155] = (byte)' ';
        output.Write(_header);

        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            long copied = 0;
            int read;
            while (copied < length && (read = content.Read(buffer, 0, (int)Math.Min(buffer.Length, length - copied))) > 0)
            {
                output.Write(buffer, 0, read);
                copied += read;
            }

            if (copied != length)
            {
                throw new ModulePackageException($"{path} changed size while it was being packed ({length:N0} bytes expected, {copied:N0} read); pack again");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        var padding = (int)((Block - (length % Block)) % Block);
        if (padding > 0)
        {
            output.Write(new byte[padding]);
        }
    }

    /// <summary>Ends the archive with two zero blocks.</summary>
    public void Finish() => output.Write(new byte[2 * Block]);

    /// <summary>
    /// ustar keeps a path of up to 100 bytes in the name field, or splits a longer one at a '/' into a
    /// prefix of up to 155 bytes and a name of up to 100, at the last '/' that fits, as GNU tar does.
    /// </summary>
    private static (byte[] Prefix, byte[] Name) SplitPath(string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        if (bytes.Length <= 100)
        {
            return ([], bytes);
        }

        var limit = Math.Min(bytes.Length, 156);
        var split = -1;
        for (var i = limit - 1; i > 0; i--)
        {
            if (bytes[i] == (byte)'/')
            {
                split = i;
                break;
            }
        }

        if (split < 0 || bytes.Length - split - 1 > 100 || bytes.Length - split - 1 == 0)
        {
            throw new ModulePackageException($"the path \"{ModuleName.Printable(path)}\" ({bytes.Length} bytes) does not fit a package entry: ustar keeps up to 100 bytes of file name after a folder path of up to 155 bytes; shorten it");
        }

        return (bytes[..split], bytes[(split + 1)..]);
    }

    private static void Octal(Span<byte> field, long value, int digits)
    {
        for (var i = digits - 1; i >= 0; i--)
        {
            field[i] = (byte)('0' + (value & 7));
            value >>= 3;
        }

        field[digits] = 0;
    }
}
