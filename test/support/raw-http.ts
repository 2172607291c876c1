/**
 * Plain node:http GETs with exactly the headers given (fetch sets its own Host and may not send
 * another): what a DNS-rebound page, a proxy or another machine sends, including an
 * absolute-form request target.
 */
import { request } from "node:http";

export interface RawResponse {
  status: number;
  body: string;
}

/** GET `path` from host:port (an IPv6 address without brackets) with these headers only. */
export function rawGet(host: string, port: number | string, path: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method: "GET", headers, setHost: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** The JSON of a page's <script id="page-config"> block (undefined when there is none). */
export function pageConfigOf(html: string): Record<string, any> | undefined {
  const m = /<script id="page-config" type="application\/json">([^<]*)<\/script>/.exec(html);
  return m ? JSON.parse(m[1]!) : undefined;
}
