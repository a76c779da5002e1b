// Drives a Modulus host's OpenAI-compatible API with the official `openai` client, as any user of it
// would, and prints what the client saw as one JSON line; tests/Modulus.FunctionalTests (OpenAiApiTests)
// runs it and checks the answers. The plan is a JSON array of steps in argv[2]; each step is
//   { "call": "models.list" | "models.retrieve" | "completions.create" | "chat.completions.create"
//             | "embeddings.create" | "raw", "body": {...}, "id": "...", "apiKey": "...",
//     "breakAfter": N (leave a stream after N chunks), "path", "method", "headers" (raw only) }
// and its result is { ok, result | chunks, error: { status, name, message, type, code, param } }.
// Talks only to MODULUS_OPENAI_BASE_URL (a loopback host); no retries, bounded timeouts.
import OpenAI from 'openai';

const baseURL = process.env.MODULUS_OPENAI_BASE_URL;
if (!baseURL || !new URL(baseURL).hostname.match(/^(127\.0\.0\.1|localhost|\[::1\])$/)) {
  throw new Error(`MODULUS_OPENAI_BASE_URL must be a loopback URL, not ${baseURL}`);
}

const plan = JSON.parse(process.argv[2]);

function client(step) {
  // Every OpenAI client sends some key; "no-key" is one the host does not know.
  return new OpenAI({ baseURL, apiKey: step.apiKey ?? 'no-key', maxRetries: 0, timeout: 30_000 });
}

function describe(error) {
  if (!(error instanceof OpenAI.APIError)) {
    throw error;
  }
  return {
    status: error.status ?? null,
    name: error.constructor.name,
    message: error.message,
    type: error.type ?? null,
    code: error.code ?? null,
    param: error.param ?? null,
  };
}

async function raw(step) {
  const response = await fetch(baseURL.replace(/\/v1$/, '') + step.path, {
    method: step.method ?? 'GET',
    headers: step.headers ?? {},
    body: step.body === undefined ? undefined : typeof step.body === 'string' ? step.body : JSON.stringify(step.body),
    signal: AbortSignal.timeout(30_000),
  });
  return {
    ok: true,
    result: { status: response.status, contentType: response.headers.get('content-type'), allow: response.headers.get('allow'), text: await response.text() },
  };
}

async function run(step) {
  if (step.call === 'raw') {
    return raw(step);
  }
  const openai = client(step);
  const chunks = [];
  try {
    switch (step.call) {
      case 'models.list':
        return { ok: true, result: (await openai.models.list()).data };
      case 'models.retrieve':
        return { ok: true, result: await openai.models.retrieve(step.id) };
      case 'embeddings.create':
        return { ok: true, result: await openai.embeddings.create(step.body) };
      case 'completions.create':
      case 'chat.completions.create': {
        const api = step.call === 'completions.create' ? openai.completions : openai.chat.completions;
        if (!step.body.stream) {
          return { ok: true, result: await api.create(step.body) };
        }
        const stream = await api.create(step.body);
        for await (const chunk of stream) {
          chunks.push(chunk);
          if (step.breakAfter && chunks.length >= step.breakAfter) {
            // Leaving the loop aborts the request: the client closes the connection mid-stream.
            break;
          }
        }
        return { ok: true, chunks };
      }
      default:
        throw new Error(`unknown call ${step.call}`);
    }
  } catch (error) {
    return { ok: false, chunks, error: describe(error) };
  }
}

const results = [];
for (const step of plan) {
  results.push(await run(step));
}
// Exit at once: the pool of kept-alive connections would hold the process open a while longer.
process.stdout.write(JSON.stringify(results) + "\n", () => process.exit(0));
