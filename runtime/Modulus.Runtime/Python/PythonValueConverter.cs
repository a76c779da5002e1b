using Modulus.Protocol;
using System.Runtime.InteropServices;
using Modulus.Sdk;
using Python.Runtime;

namespace Modulus.Runtime.Python;

/// <summary>
/// Converts values to Python objects and back. Call only while holding the GIL.
/// Tensors become numpy arrays (where numpy is installed) over one copy of the data.
/// </summary>
internal static class PythonValueConverter
{
    private const int KindNull = 0, KindBool = 1, KindInt = 2, KindFloat = 3, KindString = 4, KindBytes = 5, KindList = 6, KindMap = 7, KindTensor = 8;

    public static PyObject ToPython(Value value, PyObject host)
    {
        switch (value.Kind)
        {
            case ValueKind.Null:
                return PyObject.None;
            case ValueKind.Bool:
                return value.AsBool().ToPython();
            case ValueKind.Int:
                return new PyInt(value.AsInt());
            case ValueKind.Float:
                return new PyFloat(value.AsFloat());
            case ValueKind.String:
                return new PyString(value.AsString());
            case ValueKind.Bytes:
                using (var buffer = ByteArray(value.AsBytes()))
                {
                    return host.InvokeMethod("bytes_in", buffer);
                }

            case ValueKind.List:
                var items = value.AsList();
                var converted = new PyObject[items.Count];
                try
                {
                    for (var i = 0; i < converted.Length; i++)
                    {
                        converted[i] = ToPython(items[i], host);
                    }

                    return new PyList(converted);
                }
                finally
                {
                    foreach (var item in converted)
                    {
                        item?.Dispose();
                    }
                }

            case ValueKind.Map:
                var dict = new PyDict();
                foreach (var (key, item) in value.AsMap())
                {
                    using var pyItem = ToPython(item, host);
                    dict[key] = pyItem;
                }

                return dict;
            case ValueKind.Tensor:
                var tensor = value.AsTensor();
                using (var dtype = new PyString(tensor.DType.ToString()))
                using (var shape = new PyTuple(tensor.Shape.Select(d => (PyObject)new PyInt(d)).ToArray()))
                using (var data = ByteArray(tensor.Data))
                {
                    return host.InvokeMethod("tensor_in", dtype, shape, data);
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(value), value.Kind, "Unknown value kind.");
        }
    }

    /// <exception cref="ModulusException">INTERNAL: the result cannot cross a module boundary (nested too deep, or containing itself, among others).</exception>
    public static Value FromPython(PyObject obj, PyObject host) => FromPython(obj, host, 0);

    private static Value FromPython(PyObject obj, PyObject host, int depth)
    {
        if (depth > ValueMapper.MaxDepth)
        {
            // Also what a list that contains itself comes to.
            throw new ModulusException(StatusCode.Internal,
                $"the endpoint returned a value nested deeper than {ValueMapper.MaxDepth} levels (lists and maps, or one that contains itself); values nest at most {ValueMapper.MaxDepth} levels");
        }

        // The commonest results are told apart in C#: asking the host's kind_of is a call into Python.
        if (obj.IsNone())
        {
            return Value.Null;
        }

        if (PyString.IsStringType(obj))
        {
            return Value.From(obj.As<string>());
        }

        using var kindObject = host.InvokeMethod("kind_of", obj);
        var kind = kindObject.As<int>();
        switch (kind)
        {
            case KindNull:
                return Value.Null;
            case KindBool:
                using (var plain = host.InvokeMethod("scalar", obj))
                {
                    return Value.From(plain.As<bool>());
                }

            case KindInt:
                using (var plain = host.InvokeMethod("scalar", obj))
                {
                    try
                    {
                        return Value.From(plain.As<long>());
                    }
                    catch (Exception ex) when (ex is OverflowException or InvalidCastException or PythonException)
                    {
                        throw new ModulusException(StatusCode.Internal, $"The endpoint returned the int {plain}, beyond the int64 range of an int value.");
                    }
                }

            case KindFloat:
                using (var plain = host.InvokeMethod("scalar", obj))
                {
                    return Value.From(plain.As<double>());
                }

            case KindString:
                return Value.From(obj.As<string>());
            case KindBytes:
                return Value.FromBytes(ReadBuffer(obj));
            case KindList:
                var items = new List<Value>();
                using (var iterator = obj.GetIterator())
                {
                    while (iterator.MoveNext())
                    {
                        using var item = iterator.Current;
                        items.Add(FromPython(item, host, depth + 1));
                    }
                }

                return Value.List(items);
            case KindMap:
                var entries = new List<KeyValuePair<string, Value>>();
                using (var pairs = host.InvokeMethod("map_items", obj))
                using (var iterator = pairs.GetIterator())
                {
                    while (iterator.MoveNext())
                    {
                        using var pair = iterator.Current;
                        using var key = pair[0];
                        using var item = pair[1];
                        entries.Add(KeyValuePair.Create(key.As<string>(), FromPython(item, host, depth + 1)));
                    }
                }

                return Value.Map(entries);
            case KindTensor:
                using (var wire = host.InvokeMethod("tensor_out", obj))
                using (var dtypeObject = wire[0])
                using (var shapeObject = wire[1])
                using (var dataObject = wire[2])
                {
                    var dtypeName = dtypeObject.As<string>();
                    if (!DTypes.TryParse(dtypeName, out var dtype))
                    {
                        throw new ModulusException(StatusCode.Internal, $"The endpoint returned a tensor of unknown dtype {dtypeName}.");
                    }

                    var shape = new List<long>();
                    using (var iterator = shapeObject.GetIterator())
                    {
                        while (iterator.MoveNext())
                        {
                            using var dim = iterator.Current;
                            shape.Add(dim.As<long>());
                        }
                    }

                    return Value.From(Tensor.Create(dtype, shape, ReadBuffer(dataObject)));
                }

            default:
                throw new ModulusException(StatusCode.Internal, $"Unexpected value kind {kind} from the Python helper.");
        }
    }

    private static PyObject ByteArray(ReadOnlyMemory<byte> data)
    {
        using var builtins = Py.Import("builtins");
        using var length = new PyInt(data.Length);
        var array = builtins.InvokeMethod("bytearray", length);
        if (data.Length == 0)
        {
            return array;
        }

        using var buffer = array.GetBuffer(PyBUF.WRITABLE);
        if (MemoryMarshal.TryGetArray(data, out var segment) && segment.Array is not null)
        {
            buffer.Write(segment.Array, segment.Offset, segment.Count, 0);
        }
        else
        {
            buffer.Write(data.ToArray(), 0, data.Length, 0);
        }

        return array;
    }

    private static byte[] ReadBuffer(PyObject obj)
    {
        using var buffer = obj.GetBuffer(PyBUF.SIMPLE);
        var bytes = new byte[buffer.Length];
        if (bytes.Length > 0)
        {
            buffer.Read(bytes, 0, bytes.Length, 0);
        }

        return bytes;
    }
}
