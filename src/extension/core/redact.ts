// Masks secrets in log text: known values (the stored HF token) and anything shaped like an HF token, so a
// token that reaches a message by an unexpected path still never lands in the log. Pure (no vscode).

const HF_TOKEN_SHAPE = /\bhf_[A-Za-z0-9]{20,}\b/g;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const v of secrets) if (v.length >= 4) out = out.split(v).join('***');
  return out.replace(HF_TOKEN_SHAPE, 'hf_***');
}
