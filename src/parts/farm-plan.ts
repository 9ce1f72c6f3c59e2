// `stylize-video plan`: how a render splits into shards, as a manifest, a Slurm submission script
// (the array of shards and the join that waits for it), or a Kubernetes Indexed Job.
import { resolve } from 'node:path';
import { invalidOption } from '../errors.js';
import { partsOf, shardParts, spanLength, type FrameSpan } from './part-plan.js';

export const PLAN_FORMATS = ['json', 'slurm', 'k8s'] as const;
export type PlanFormat = (typeof PLAN_FORMATS)[number];

export interface FarmPlanInput {
  input: string;
  output: string;
  /** frames covered and part length, as the render resolves them */
  span: FrameSpan;
  partFrames: number;
  shards: number;
  /** the render's own flags (style, temporal, codec, ...), passed through to every shard */
  renderArguments: string[];
  /** how farm nodes start this tool, e.g. ['stylize-video'] or ['node', '/opt/sv/bin/stylize-video.js'] */
  command: string[];
}

export interface FarmPlan {
  input: string;
  output: string;
  frames: FrameSpan & { count: number };
  partFrames: number;
  parts: number;
  shards: Array<{ index: number; frames: FrameSpan & { count: number }; parts: [number, number] }>;
  /** every shard runs this; `auto` takes its index from the farm (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, AWS_BATCH_JOB_ARRAY_INDEX) */
  shardCommand: string[];
  /** run once after every shard */
  joinCommand: string[];
}

export function planFarm(p: FarmPlanInput): FarmPlan {
  if (!(Number.isInteger(p.shards) && p.shards >= 1)) throw invalidOption('shards', p.shards, 'give a whole number, 1 or more');
  const parts = partsOf(p.span, p.partFrames);
  const shards = Array.from({ length: p.shards }, (_, index) => {
    const mine = shardParts(parts, { index, count: p.shards });
    const frames = { start: mine[0].start, end: mine.at(-1)!.end };
    return { index, frames: { ...frames, count: spanLength(frames) }, parts: [mine[0].index, mine.at(-1)!.index] as [number, number] };
  });
  // Absolute paths: farm jobs start in folders of their own.
  const [input, output] = [resolve(p.input), resolve(p.output)];
  return {
    input,
    output,
    frames: { ...p.span, count: spanLength(p.span) },
    partFrames: p.partFrames,
    parts: parts.length,
    shards,
    // The frames and part length are spelled out, so every shard cuts the same parts whatever its defaults.
    shardCommand: [...p.command, input, '-o', output, ...p.renderArguments, '--frames', `${p.span.start}-${p.span.end}`, '--part-frames', String(p.partFrames), '--shard', `auto/${p.shards}`],
    joinCommand: [...p.command, 'join', output, '--input', input],
  };
}

/** POSIX shell quoting: safe for any path. */
export const shellQuote = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`);
const shellLine = (args: string[]) => args.map(shellQuote).join(' ');

/**
 * A script to run where `sbatch` works: it submits the shards as one array job, then the join
 * with `--dependency=afterok` on the whole array, and prints both job ids.
 */
export function slurmScript(plan: FarmPlan, name: string, cpusPerTask = 2): string {
  const logs = `${plan.output}.slurm-%A_%a.log`;
  return `#!/bin/sh
# stylize-video on Slurm: ${plan.frames.count} frames of ${plan.input}
# in ${plan.shards.length} shards (${plan.parts} parts of up to ${plan.partFrames} frames), then the join.
# Submit from a node that shares the input and output folders with the compute nodes:  sh <this file>
# Logs: ${logs}
set -eu
shards=$(sbatch --parsable --job-name=${shellQuote(name)} --array=0-${plan.shards.length - 1} --cpus-per-task=${cpusPerTask} \\
  --output=${shellQuote(logs)} <<'SHARD'
#!/bin/sh
exec ${shellLine(plan.shardCommand)}
SHARD
)
shards=\${shards%%;*}
join=$(sbatch --parsable --job-name=${shellQuote(name + '-join')} --dependency=afterok:$shards --kill-on-invalid-dep=yes --cpus-per-task=1 \\
  --output=${shellQuote(`${plan.output}.slurm-join-%j.log`)} <<'JOIN'
#!/bin/sh
exec ${shellLine(plan.joinCommand)}
JOIN
)
echo "shards: job $shards (array 0-${plan.shards.length - 1}); join: job \${join%%;*}, after every shard succeeds"
`;
}

const yamlString = (s: string) => JSON.stringify(s);
const yamlList = (items: string[], indent: string) => items.map((i) => `${indent}- ${yamlString(i)}`).join('\n');

export interface KubernetesOptions {
  image: string;
  /** PersistentVolumeClaim holding the input and the output, mounted at mountPath in every pod */
  claim: string;
  mountPath: string;
  cpu: number;
  /** what one shard's pod is expected to hold at its peak, in bytes */
  memory: number;
  /** PersistentVolumeClaim for the model cache; without one each pod fills an emptyDir of its own */
  modelsClaim?: string;
}

/** Where the image (Dockerfile) keeps its model cache: XDG_CACHE_HOME. */
export const IMAGE_MODEL_CACHE = '/cache';

const mebibytes = (bytes: number) => `${Math.ceil(bytes / 1024 ** 2)}Mi`;

/**
 * A Kubernetes Indexed Job for the shards (each pod gets JOB_COMPLETION_INDEX) and a Job that
 * joins once the parts are all there (Kubernetes has no dependencies between Jobs, so it waits).
 * Input and output must be on a volume every pod mounts at the same path; a pod that fails is
 * retried on its own (backoffLimitPerIndex) and resumes from the parts already written.
 */
export function kubernetesManifest(plan: FarmPlan, name: string, options: KubernetesOptions): string {
  const dns = name.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 50) || 'stylize-video';
  const models = options.modelsClaim
    ? `persistentVolumeClaim:
            claimName: ${yamlString(options.modelsClaim)}`
    : 'emptyDir: {}';
  const podSpec = (args: string[], cpu: number, memory: number | undefined) => `    spec:
      restartPolicy: Never
      containers:
        - name: stylize-video
          image: ${yamlString(options.image)}
          command:
${yamlList(args, '            ')}
          env:
            - name: XDG_CACHE_HOME
              value: ${yamlString(IMAGE_MODEL_CACHE)}
          resources:
            requests:
              cpu: ${yamlString(String(cpu))}${memory ? `
              memory: ${yamlString(mebibytes(memory))}
            limits:
              memory: ${yamlString(mebibytes(2 * memory))}` : ''}
          volumeMounts:
            - name: media
              mountPath: ${yamlString(options.mountPath)}${memory ? `
            - name: models
              mountPath: ${yamlString(IMAGE_MODEL_CACHE)}` : ''}
      volumes:
        - name: media
          persistentVolumeClaim:
            claimName: ${yamlString(options.claim)}${memory ? `
        - name: models
          ${models}` : ''}`;
  // As many threads as the pod asks CPUs for: a pod sees all of its node's cores.
  const shardCommand = [...plan.shardCommand, '--concurrency', String(options.cpu)];
  return `# stylize-video on Kubernetes: ${plan.frames.count} frames in ${plan.shards.length} shards, then the join.
# The volume ${options.claim} must hold ${plan.input} and ${plan.output} at the same paths in every pod;
# models are cached at ${IMAGE_MODEL_CACHE} (${options.modelsClaim ? `the volume ${options.modelsClaim}` : 'an emptyDir: each pod fetches its own; --models-claim shares one'}).
apiVersion: batch/v1
kind: Job
metadata:
  name: ${dns}
spec:
  completionMode: Indexed
  completions: ${plan.shards.length}
  parallelism: ${plan.shards.length}
  backoffLimitPerIndex: 3
  podFailurePolicy:
    rules:
      # A usage error (exit 2) fails alike on every retry; an evicted or preempted pod is no failure of its shard.
      - action: FailJob
        onExitCodes:
          operator: In
          values: [2]
      - action: Ignore
        onPodConditions:
          - type: DisruptionTarget
  template:
${podSpec(shardCommand, options.cpu, options.memory)}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: ${dns}-join
spec:
  backoffLimit: 3
  template:
${podSpec([...plan.joinCommand, '--wait', '604800'], 1, undefined)}
`;
}
