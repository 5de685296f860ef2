/**
 * The stored id of the question an answer replies to, derived from the answer's id. The
 * answer registry knows an answer in flight only by its id (on every instance); the stored
 * question then tells which conversation that answer belongs to — so a lost answer is stored
 * beside its question, and deleting a conversation finds the answer it must cancel first.
 */
export function questionIdOf(answerId: string): string {
  return `${answerId}:q`;
}
