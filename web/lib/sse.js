/* Server-Sent Events over fetch (EventSource cannot POST), shared by the widget and console. */

/** Read `response` as Server-Sent Events, calling onEvent(type, parsedJson) for each. */
export async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let type = "";
  let data = [];
  const dispatch = () => {
    if (data.length) onEvent(type || "message", JSON.parse(data.join("\n")));
    type = "";
    data = [];
  };
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(0), { stream: !done });
    let at;
    while ((at = buffer.search(/\r\n|\r|\n/)) >= 0) {
      if (!done && at === buffer.length - 1 && buffer[at] === "\r") break; // maybe half a \r\n
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + (buffer.startsWith("\r\n", at) ? 2 : 1));
      if (!line) dispatch();
      else if (line[0] !== ":") {
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") type = val;
        else if (field === "data") data.push(val);
      }
    }
    if (done) return dispatch();
  }
}
