// The error a promise rejects with, checked to be an instance of `C` (tests of the gRPC clients,
// which reject with their own error classes).
import { expect } from "vitest";

export async function rejection<E>(p: Promise<unknown>, C: abstract new (...args: never[]) => E): Promise<E> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(C);
  return err as E;
}
