// A worker process of a Modulus host; see Modulus.Runtime.Isolation.ModulusWorker.
return await Modulus.Runtime.Isolation.ModulusWorker.RunAsync(args);
