/** The wx API's callback trio, shared by the wx shims. */
export type Callbacks<T> = { success?: (res: T) => void; fail?: (err: { errMsg: string }) => void; complete?: (res: unknown) => void };

/** Calls success or fail, then complete — asynchronously, as on a phone. */
export function settle<T>(options: Callbacks<T> | undefined, ok: boolean, res: T | { errMsg: string }): void {
  queueMicrotask(() => {
    if (ok) options?.success?.(res as T);
    else options?.fail?.(res as { errMsg: string });
    options?.complete?.(res);
  });
}
