/** A typed listener registry. */
export type Emitter<eventMap> = {
  /** Adds a listener; returns the function that removes it. */
  on<event extends keyof eventMap>(event: event, listener: (payload: eventMap[event]) => void): () => void;
  emit<event extends keyof eventMap>(event: event, payload: eventMap[event]): void;
  /** Whether any listener is registered for the event (skip building payloads nobody reads). */
  has(event: keyof eventMap): boolean;
};

/**
 * A typed event emitter: listeners run synchronously, in registration order.
 *
 * @example
 * const emitter = createEmitter<{ alert: AlertEvent }>()
 * const off = emitter.on('alert', (event) => console.log(event.type))
 */
export function createEmitter<eventMap>(): Emitter<eventMap> {
  const listeners = new Map<keyof eventMap, Set<(payload: never) => void>>();
  return {
    on(event, listener) {
      let set = listeners.get(event);
      if (set === undefined) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
      };
    },
    emit(event, payload) {
      const set = listeners.get(event);
      if (set === undefined) return;
      for (const listener of set) (listener as (payload: unknown) => void)(payload);
    },
    has(event) {
      return (listeners.get(event)?.size ?? 0) > 0;
    },
  };
}
