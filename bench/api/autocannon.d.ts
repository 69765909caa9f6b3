/** The part of autocannon's programmatic API the benchmark uses (the package ships no types). */
declare module 'autocannon' {
  namespace autocannon {
    type Request = { method?: string; path?: string; headers?: Record<string, string>; body?: string };
    type Options = {
      url: string;
      connections?: number;
      duration?: number;
      amount?: number;
      requests?: (Request & { setupRequest?: (request: Request, context: object) => Request })[];
    };
    type Histogram = { average: number; mean: number; max: number; min: number; total: number } & Record<
      `p${string}`,
      number
    >;
    type Result = {
      requests: Histogram;
      latency: Histogram & { p50: number; p90: number; p99: number };
      throughput: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
      duration: number;
    };
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export = autocannon;
}
