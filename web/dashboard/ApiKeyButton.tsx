/**
 * An API key for servers that require one: entered once per browser tab, sent with every query,
 * the live connection and the downloads. Without a key the page calls the API anonymously.
 */
import { useState, type MouseEvent } from 'react';
import { apiKeyHeaders, readApiKey, writeApiKey } from '../shared/api-key';

export function ApiKeyButton() {
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState('');
  const hasKey = readApiKey() !== null;
  const save = (key: string | null) => {
    writeApiKey(key);
    // Every request and the live connection start over with the new credentials.
    window.location.reload();
  };
  return (
    <span className="api-key">
      <button type="button" className="secondary small" onClick={() => setOpen(!open)} aria-expanded={open}>
        {hasKey ? 'API key ✓' : 'API key'}
      </button>
      {open && (
        <form
          className="api-key-form"
          onSubmit={(e) => {
            e.preventDefault();
            save(draft.trim() || null);
          }}
        >
          <input
            type="password"
            autoComplete="off"
            placeholder="X-API-Key"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            autoFocus
          />
          <button type="submit">Use</button>
          {hasKey && (
            <button type="button" className="secondary" onClick={() => save(null)}>
              Forget
            </button>
          )}
        </form>
      )}
    </span>
  );
}

/**
 * Click handler of a download link: with a key, fetches the file with the key's header and saves
 * it (a plain link cannot send headers); without one, the link downloads as usual.
 */
export function authorizedDownload(event: MouseEvent<HTMLAnchorElement>): void {
  const headers = apiKeyHeaders();
  if (Object.keys(headers).length === 0) return;
  event.preventDefault();
  const link = event.currentTarget;
  const name = link.getAttribute('download') || 'download';
  void fetch(link.href, { headers })
    .then(async (response) => {
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const url = URL.createObjectURL(await response.blob());
      const anchor = document.createElement('a');
      anchor.href = url;
      anchor.download = name;
      anchor.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    })
    .catch((error: unknown) =>
      window.alert(`Download failed: ${error instanceof Error ? error.message : String(error)}`),
    );
}
