using Modulus.Sdk;

namespace Modulus.Client.Internal;

/// <summary>
/// A request that failed because its host went away (a TCP go-away) before reading it: the host
/// ran none of it, so it can be sent again. Left unretried, it is the UNAVAILABLE it says.
/// </summary>
internal sealed class NotRunException(string message) : ModulusException(StatusCode.Unavailable, message);
