using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using LiteDB;

namespace Modulus.Registry.Index;

public sealed partial class RegistryIndex
{
    /// <summary>
    /// The whole index as indented JSON, every collection sorted by key: two indexes hold the same
    /// state exactly when their exports are equal strings.
    /// </summary>
    public string ExportCanonical()
    {
        _commit.EnterReadLock();
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            {
                json.WriteStartObject();
                json.WritePropertyName(Collections.State);
                WriteValue(json, _state.FindById(StateId));
                foreach (var name in new[] { Collections.Modules, Collections.Versions, Collections.Hosts, Collections.Stakes })
                {
                    json.WriteStartArray(name);
                    foreach (var document in _db.GetCollection(name).FindAll().OrderBy(d => d["_id"].AsString, StringComparer.Ordinal))
                    {
                        WriteValue(json, document);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        finally
        {
            _commit.ExitReadLock();
        }
    }

    /// <summary>A BSON value as JSON, with object keys sorted so the output depends on content only.</summary>
    private static void WriteValue(Utf8JsonWriter json, BsonValue value)
    {
        switch (value.Type)
        {
            case BsonType.Document:
                json.WriteStartObject();
                foreach (var (key, item) in value.AsDocument.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    json.WritePropertyName(key);
                    WriteValue(json, item);
                }

                json.WriteEndObject();
                break;
            case BsonType.Array:
                json.WriteStartArray();
                foreach (var item in value.AsArray)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                break;
            case BsonType.String:
                json.WriteStringValue(value.AsString);
                break;
            case BsonType.Int32:
                json.WriteNumberValue(value.AsInt32);
                break;
            case BsonType.Int64:
                json.WriteNumberValue(value.AsInt64);
                break;
            case BsonType.Boolean:
                json.WriteBooleanValue(value.AsBoolean);
                break;
            case BsonType.Null:
                json.WriteNullValue();
                break;
            default:
                // The index stores nothing else; say so rather than export something that compares wrong.
                throw new InvalidOperationException($"Unexpected {value.Type} value in the index.");
        }
    }
}
