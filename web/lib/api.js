/* Calling the service: the error shape, file downloads, and the console's admin client.
 *
 * Every error of the service has the shape {"error": {"type", "message", "request_id"}}.
 * No cookies are sent (credentials "omit"): the console sends its key as Authorization: Bearer,
 * the widget its short-lived widget token. */

/** A refused or failed call: the HTTP status (0: no answer) and the service's error type. */
export class ApiError extends Error {
  constructor(message, status, type) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.type = type || null;
  }
}

/** The service's error message and type from a failed `response` (or just its status). */
export async function errorOf(response) {
  let message = "HTTP " + response.status;
  let type = null;
  try {
    const body = await response.json();
    if (body && body.error && body.error.message) {
      message = String(body.error.message);
      type = body.error.type ? String(body.error.type) : null;
    }
  } catch (e) {
    /* not our JSON error shape */
  }
  return new ApiError(message, response.status, type);
}

/** The file name the service gave a download (Content-Disposition), else `fallback`; never a
 * path. */
export function fileNameOf(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  let name = "";
  const encoded = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (encoded) {
    try {
      name = decodeURIComponent(encoded[1].trim());
    } catch (e) {
      name = "";
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*"([^"]*)"|filename\s*=\s*([^;\s]+)/.exec(header);
    if (plain) name = plain[1] !== undefined ? plain[1] : plain[2];
  }
  name = name.split(/[\\/]/).pop().replace(/[\u0000-\u001f<>:"|?*]/g, "_").trim();
  return name && name !== "." && name !== ".." ? name : fallback;
}

/** Save `blob` as a file called `name` (a link with `download`, clicked, inside `parent`). */
export function saveBlob(blob, name, parent) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  (parent || document.body).append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** `params` as a query string ("" when empty), leaving out empty values. */
export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value === null || value === undefined || value === "") continue;
    search.append(key, String(value));
  }
  const text = search.toString();
  return text ? "?" + text : "";
}

/** A client of the admin API at `base` with the key `key()` returns. `onRefused(error)` is
 * called when the service refuses the key (401 or 403), before the call throws. */
export function adminClient(base, key, onRefused) {
  /** fetch() `path` with the key; the response when it is OK, else an ApiError is thrown. */
  async function request(path, init) {
    const options = Object.assign({ method: "GET" }, init || {});
    const headers = Object.assign({}, options.headers || {});
    const current = key();
    if (current) headers.Authorization = "Bearer " + current;
    if (options.json !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(options.json);
      delete options.json;
    }
    let response;
    try {
      response = await fetch(base + path, Object.assign(options, { headers, credentials: "omit", cache: "no-store" }));
    } catch (e) {
      if (e && e.name === "AbortError") throw e;
      throw new ApiError(String((e && e.message) || e), 0, "network");
    }
    if (response.ok) return response;
    const error = await errorOf(response);
    if ((response.status === 401 || response.status === 403) && onRefused) onRefused(error);
    throw error;
  }

  return {
    request,
    /** The JSON body of a successful call (null for 204). */
    async json(path, init) {
      const response = await request(path, init);
      return response.status === 204 ? null : response.json();
    },
    /** Call `path` and save the answer as a file named by the service, else `fallback`. */
    async download(path, init, fallback) {
      const response = await request(path, init);
      const name = fileNameOf(response, fallback);
      saveBlob(await response.blob(), name);
      return name;
    }
  };
}
