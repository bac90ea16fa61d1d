/**
 * Reads a V8 CPU profile (.cpuprofile, as written by --cpu-prof or the inspector's
 * Profiler.stop) and says where the time went: self time per function, and per kind of code
 * (Tidelog's own modules, Node's JavaScript, native bindings, dependencies, the garbage
 * collector, idle). Self time is the sum of the sampling intervals whose sample landed in that
 * function, so the shares add up to the profiled wall time.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionTime {
  /** `name (file:line)`, shortened for the report. */
  label: string;
  category: string;
  selfMs: number;
}

export interface ProfileSummary {
  wallMs: number;
  /** Milliseconds of self time per category, largest first. */
  categories: { category: string; selfMs: number }[];
  /** Functions by self time, largest first (idle left out). */
  functions: FunctionTime[];
}

const IDLE = 'idle (waiting for I/O)';
const NATIVE = 'native bindings and builtins';

/** Which kind of code a frame is: the report's rows. */
export function categoryOf(frame: CallFrame): string {
  const { functionName, url } = frame;
  if (functionName === '(idle)') return IDLE;
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(program)') return 'V8 and native code outside JavaScript';
  if (functionName === '(root)') return 'other';
  const tidelog = /\/dist\/src\/([^/]+)\//.exec(url);
  if (tidelog) return `Tidelog src/${tidelog[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (dependency) return `dependency ${dependency[1]}`;
  if (url.startsWith('node:')) return "Node's JavaScript (node:*)";
  if (url === '') return NATIVE;
  return 'other';
}

function labelOf(frame: CallFrame): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  const file = frame.url.replace(/^file:\/\/.*?\/dist\//, '').replace(/^.*node_modules\//, '');
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

export function summarizeCpuProfile(path: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const frames = new Map<number, CallFrame>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  // A native function's own name says little (and V8 names some of them oddly): name its caller.
  const nativeLabel = (id: number, frame: CallFrame): string => {
    const parent = frames.get(parents.get(id) ?? -1);
    return parent === undefined || parent.url === '' ? labelOf(frame) : `${labelOf(frame)} ← ${labelOf(parent)}`;
  };
  const byFunction = new Map<string, FunctionTime>();
  const byCategory = new Map<string, number>();
  let wallUs = 0;
  // timeDeltas[i] is the time from sample i-1 to sample i: it is charged to sample i.
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const frame = frames.get(id);
    const deltaUs = Math.max(0, profile.timeDeltas[i] ?? 0);
    if (frame === undefined) continue;
    wallUs += deltaUs;
    const category = categoryOf(frame);
    byCategory.set(category, (byCategory.get(category) ?? 0) + deltaUs / 1000);
    if (category === IDLE) continue;
    const label = category === NATIVE ? nativeLabel(id, frame) : labelOf(frame);
    const entry = byFunction.get(label) ?? { label, category, selfMs: 0 };
    entry.selfMs += deltaUs / 1000;
    byFunction.set(label, entry);
  }
  return {
    wallMs: wallUs / 1000,
    categories: [...byCategory].map(([category, selfMs]) => ({ category, selfMs })).sort((a, b) => b.selfMs - a.selfMs),
    functions: [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs),
  };
}
