/** The scripted answer of the benchmark's model: `deltas` deltas of 2 Chinese characters. */
export const benchAnswer = (deltas: number): string => '基准测试的回答'.repeat(Math.ceil((deltas * 2) / 7)).slice(0, deltas * 2);
