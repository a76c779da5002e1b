using System.Reflection;
using System.Text;
using Modulus.Sdk;

namespace Modulus.Runtime.CSharp;

/// <summary>One endpoint method of a C# module: its schema and a fast way to call it.</summary>
internal sealed class CSharpEndpoint
{
    private readonly MethodInvoker _invoker;
    private readonly ParameterInfo[] _parameters;
    private readonly int[] _schemaSlot;
    private readonly Func<object?, ValueTask<object?>> _awaitResult;
    private readonly Func<object?, Protocol.StreamItemWriter, CancellationToken, ValueTask>? _streamItems;

    private CSharpEndpoint(MethodInfo method, EndpointSchema schema, int[] schemaSlot, Func<object?, ValueTask<object?>> awaitResult, Func<object?, Protocol.StreamItemWriter, CancellationToken, ValueTask>? streamItems)
    {
        _streamItems = streamItems;
        Method = method;
        Schema = schema;
        _parameters = method.GetParameters();
        _schemaSlot = schemaSlot;
        _invoker = MethodInvoker.Create(method);
        _awaitResult = awaitResult;
    }

    public MethodInfo Method { get; }

    public EndpointSchema Schema { get; }

    /// <summary>The endpoints of a module type: <c>Forward</c> and every method marked <see cref="EndpointAttribute"/>.</summary>
    /// <exception cref="InvalidOperationException">A signature uses a type that cannot cross a module boundary, or two endpoints share a name.</exception>
    public static IReadOnlyList<CSharpEndpoint> Discover(Type moduleType)
    {
        var endpoints = new List<CSharpEndpoint>();
        foreach (var method in moduleType.GetMethods(BindingFlags.Public | BindingFlags.Instance))
        {
            var marker = method.GetCustomAttribute<EndpointAttribute>(inherit: true);
            if (marker is null && !string.Equals(method.Name, "Forward", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (method.IsGenericMethodDefinition)
            {
                throw new InvalidOperationException($"Endpoint method {moduleType.Name}.{method.Name} is generic; endpoints need concrete parameter types.");
            }

            var name = marker?.Name ?? SnakeCase(method.Name);
            if (endpoints.Any(e => e.Schema.Name == name))
            {
                throw new InvalidOperationException($"Two methods of {moduleType.Name} serve the endpoint \"{name}\"; give one another name with [Endpoint(\"...\")].");
            }

            endpoints.Add(Create(moduleType, method, name, marker?.Description, marker?.Idempotent ?? false));
        }

        return endpoints;
    }

    /// <summary>Calls the endpoint with bound arguments and converts its result.</summary>
    public async ValueTask<Value> InvokeAsync(object instance, Value?[] arguments, CallContext context, Protocol.StreamItemWriter? stream)
    {
        var values = new object?[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            var parameter = _parameters[i];
            var slot = _schemaSlot[i];
            if (slot < 0)
            {
                values[i] = parameter.ParameterType == typeof(CancellationToken) ? context.CancellationToken : context;
            }
            else if (arguments[slot] is { } argument)
            {
                values[i] = ClrValueConverter.ToClr(argument, parameter.ParameterType, parameter.Name!);
            }
            else
            {
                values[i] = parameter.HasDefaultValue ? parameter.DefaultValue : null;
            }
        }

        object? returned;
        try
        {
            returned = _invoker.Invoke(instance, values.AsSpan());
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }

        if (_streamItems is not null)
        {
            await _streamItems(returned, stream ?? throw new InvalidOperationException($"{Schema.Name} streams: it needs a stream to write to"), context.CancellationToken).ConfigureAwait(false);
            return Value.Null;
        }

        return ClrValueConverter.FromClr(await _awaitResult(returned).ConfigureAwait(false));
    }

    private static CSharpEndpoint Create(Type moduleType, MethodInfo method, string name, string? description, bool idempotent)
    {
        var parameters = method.GetParameters();
        var slots = new int[parameters.Length];
        var schema = new List<ParameterSchema>();
        foreach (var (parameter, i) in parameters.Select((p, i) => (p, i)))
        {
            if (parameter.ParameterType == typeof(CallContext) || parameter.ParameterType == typeof(CancellationToken))
            {
                slots[i] = -1;
                continue;
            }

            var spec = ClrValueConverter.SpecOf(parameter.ParameterType)
                ?? throw new InvalidOperationException($"Parameter \"{parameter.Name}\" of {moduleType.Name}.{method.Name} has type {parameter.ParameterType.Name}, which cannot cross a module boundary.");
            slots[i] = schema.Count;
            schema.Add(new ParameterSchema(parameter.Name!, spec, !parameter.HasDefaultValue, parameter.HasDefaultValue ? DefaultJson(parameter.DefaultValue) : null));
        }

        if (StreamedItemType(method.ReturnType) is { } itemType)
        {
            // IAsyncEnumerable<T>: a stream of T, each converted as a result would be.
            var items = ClrValueConverter.SpecOf(itemType)
                ?? throw new InvalidOperationException($"{moduleType.Name}.{method.Name} streams {itemType.Name}, which cannot cross a module boundary.");
            var streamer = typeof(CSharpEndpoint).GetMethod(nameof(StreamItemsAsync), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(itemType)
                .CreateDelegate<Func<object?, Protocol.StreamItemWriter, CancellationToken, ValueTask>>();
            return new CSharpEndpoint(method, new EndpointSchema(name, schema, items, description) { Idempotent = idempotent, Streaming = true }, slots, static r => ValueTask.FromResult(r), streamer);
        }

        var (resultType, awaitResult) = ResultShape(method.ReturnType);
        var returns = resultType is null ? TypeSpec.NullType : ClrValueConverter.SpecOf(resultType) ?? TypeSpec.Any;
        return new CSharpEndpoint(method, new EndpointSchema(name, schema, returns, description) { Idempotent = idempotent }, slots, awaitResult, null);
    }

    /// <summary>T when the method returns <c>IAsyncEnumerable&lt;T&gt;</c>; otherwise null.</summary>
    private static Type? StreamedItemType(Type returnType) =>
        returnType.IsGenericType && returnType.GetGenericTypeDefinition() == typeof(IAsyncEnumerable<>) ? returnType.GetGenericArguments()[0] : null;

    /// <summary>
    /// Passes a stream's items on one at a time: the next is asked for only once the previous was
    /// taken, and the module's enumerator gets the call's token, so that a cancelled call or a passed
    /// deadline stops the producer before its next item.
    /// </summary>
    private static async ValueTask StreamItemsAsync<T>(object? returned, Protocol.StreamItemWriter stream, CancellationToken cancellationToken)
    {
        var items = (IAsyncEnumerable<T>)(returned ?? throw new InvalidOperationException("the endpoint returned null instead of a stream"));
        await foreach (var item in items.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await stream(ClrValueConverter.FromClr(item), cancellationToken).ConfigureAwait(false);
        }
    }

    private static string? DefaultJson(object? value)
    {
        try
        {
            return ValueJson.Serialize(ClrValueConverter.FromClr(value));
        }
        catch (ModulusException)
        {
            return null;
        }
    }

    /// <summary>The result type after unwrapping Task/ValueTask, and how to await a returned object.</summary>
    private static (Type? ResultType, Func<object?, ValueTask<object?>> Await) ResultShape(Type returnType)
    {
        if (returnType == typeof(void))
        {
            return (null, static _ => ValueTask.FromResult<object?>(null));
        }

        if (returnType == typeof(Task))
        {
            return (null, static async r => { await ((Task)r!).ConfigureAwait(false); return null; });
        }

        if (returnType == typeof(ValueTask))
        {
            return (null, static async r => { await ((ValueTask)r!).ConfigureAwait(false); return null; });
        }

        if (returnType.IsGenericType)
        {
            var definition = returnType.GetGenericTypeDefinition();
            var inner = returnType.GetGenericArguments()[0];
            var helper = definition == typeof(Task<>) ? nameof(AwaitTask) : definition == typeof(ValueTask<>) ? nameof(AwaitValueTask) : null;
            if (helper is not null)
            {
                var awaiter = typeof(CSharpEndpoint).GetMethod(helper, BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(inner);
                return (inner, awaiter.CreateDelegate<Func<object?, ValueTask<object?>>>());
            }
        }

        return (returnType, static r => ValueTask.FromResult(r));
    }

    private static async ValueTask<object?> AwaitTask<T>(object? task) => await ((Task<T>)task!).ConfigureAwait(false);

    private static async ValueTask<object?> AwaitValueTask<T>(object? task) => await ((ValueTask<T>)task!).ConfigureAwait(false);

    /// <summary><c>DecodeIds</c> becomes <c>decode_ids</c>; <c>Forward</c> becomes <c>forward</c>.</summary>
    internal static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previousIsLowerOrDigit = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                var nextIsLower = i + 1 < name.Length && char.IsLower(name[i + 1]) && i > 0 && char.IsUpper(name[i - 1]);
                if (previousIsLowerOrDigit || nextIsLower)
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }
}
