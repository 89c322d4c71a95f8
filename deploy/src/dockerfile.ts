// A small Dockerfile reader and the rules our images must keep (no Docker engine or hadolint
// binary can run here, so the rules that matter are checked on the parsed file).
export interface Instruction {
  line: number;
  keyword: string;
  args: string;
  /** The build stage the instruction belongs to (its FROM ... AS name, or its index). */
  stage: string;
}

/** Instructions with line continuations joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let start = 0;
  let stage = '';
  let stages = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (!pending && (line === '' || line.startsWith('#'))) return;
    if (!pending) start = index + 1;
    if (line.endsWith('\\')) {
      pending += line.slice(0, -1) + ' ';
      return;
    }
    const full = (pending + line).trim();
    pending = '';
    const [keyword = '', ...rest] = full.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') stage = / AS (\S+)$/i.exec(args)?.[1] ?? String(stages++);
    instructions.push({ line: start, keyword: keyword.toUpperCase(), args, stage });
  });
  return instructions;
}

/** Problems with `text` as "line N: ...", checking the final stages named in `targets`. */
export function dockerfileProblems(text: string, targets: string[]): string[] {
  const instructions = parseDockerfile(text);
  const problems: string[] = [];
  const args = new Map<string, string>();
  const stageNames = new Set<string>();
  for (const { line, keyword, args: rest, stage } of instructions) {
    if (keyword === 'ARG' && !stageNames.size) {
      const [name, value] = rest.split('=');
      if (name && value) args.set(name, value);
    }
    if (keyword === 'FROM') {
      const image = rest
        .split(/\s+/)[0]!
        .replace(/\$\{(\w+)\}/g, (_m, name: string) => args.get(name) ?? `\${${name}}`);
      if (!stageNames.has(image)) {
        if (image.includes('${')) problems.push(`line ${line}: base image ${image} has no default`);
        else if (!/:[\w.-]*\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$|@sha256:[0-9a-f]{64}$/.test(image))
          problems.push(`line ${line}: base image ${image} is not pinned to a version`);
      }
      stageNames.add(stage);
    }
    if (keyword === 'ADD' && /https?:\/\//.test(rest))
      problems.push(`line ${line}: ADD from a URL (use a pinned download with a checksum)`);
    if (keyword === 'RUN' && /apt-get install/.test(rest) && !/--no-install-recommends/.test(rest))
      problems.push(`line ${line}: apt-get install without --no-install-recommends`);
  }
  for (const target of targets) {
    const stage = instructions.filter((i) => i.stage === target);
    if (stage.length === 0) {
      problems.push(`stage ${target}: not defined`);
      continue;
    }
    const user = stage.filter((i) => i.keyword === 'USER').at(-1);
    if (!user || /^(0|root)(:|$)/.test(user.args)) problems.push(`stage ${target}: must end as a non-root USER`);
    if (!stage.some((i) => i.keyword === 'HEALTHCHECK')) problems.push(`stage ${target}: needs a HEALTHCHECK`);
  }
  return problems;
}
