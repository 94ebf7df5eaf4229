import type { ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { EvalEvent } from '../../core/train/events.ts';
import type { Task } from '../../core/train/trainable-model.ts';
import { type AxisRange, shareRange, tickText, zeroBasedAxis } from '../chart-axes.ts';
import type { StepPoint, TrainingView } from '../training-view.ts';
import { Explain } from './Explain.tsx';

const COLORS = { train: '#4338ca', eval: '#d97706', second: '#059669' };

const evalPoints = (evals: EvalEvent[], pick: (e: EvalEvent) => number | undefined) =>
  evals.flatMap((e) => {
    const value = pick(e);
    return value === undefined || !Number.isFinite(value) ? [] : [{ step: e.step, value }];
  });

interface StepChartProps {
  title: ReactNode;
  total?: number;
  points: number;
  height: number;
  range: AxisRange | [number, number];
  /** Where the y ticks go; recharts picks them when absent. */
  ticks?: number[];
  format?: (value: number) => string;
  children: ReactNode;
}

/** A line chart over optimizer steps, its point count on the figure for tests and screen readers. */
function StepChart({ title, total, points, height, range, ticks, format = tickText, children }: StepChartProps) {
  return (
    <figure className="chart" data-points={points}>
      <figcaption>{title}</figcaption>
      <LineChart style={{ width: '100%', height }} responsive margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
        <XAxis dataKey="step" type="number" domain={[0, total ?? 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} />
        <YAxis width={52} tick={{ fontSize: 11 }} domain={range} ticks={ticks} tickFormatter={format} />
        <Tooltip isAnimationActive={false} formatter={(value) => format(Number(value))} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {children}
      </LineChart>
    </figure>
  );
}

/** Loss (training per step, validation per evaluation), the task's metrics, and the learning rate, as the run goes. */
export function TrainCharts({ view, task, height = 200 }: { view: TrainingView; task: Task; height?: number }) {
  const losses: StepPoint[] = view.points.filter((p) => p.loss !== undefined && Number.isFinite(p.loss));
  const evalLoss = evalPoints(view.evals, (e) => e.metrics.loss);
  const choosing = task === 'multipleChoice';
  const classes = task === 'classification' || choosing;
  const squad = task === 'questionAnswering';
  const tagging = task === 'tokenClassification';
  const multi = task === 'multiLabel';
  // SQuAD's exact match and F1 are percentages: charted as shares like accuracy.
  const first = classes ? evalPoints(view.evals, (e) => e.metrics.accuracy) : tagging ? evalPoints(view.evals, (e) => e.metrics.entityF1) : squad ? evalPoints(view.evals, (e) => e.metrics.exactMatch! / 100) : multi ? evalPoints(view.evals, (e) => e.metrics.microF1) : evalPoints(view.evals, (e) => e.metrics.mse);
  const second = classes || multi ? evalPoints(view.evals, (e) => e.metrics.macroF1) : tagging ? evalPoints(view.evals, (e) => e.metrics.tokenAccuracy) : squad ? evalPoints(view.evals, (e) => e.metrics.f1! / 100) : evalPoints(view.evals, (e) => e.metrics.pearson);
  const shares = classes || squad || tagging || multi ? shareRange([...first, ...second].map((p) => p.value)) : undefined;
  return (
    <div className="charts">
      <StepChart title={<Explain term="loss">Loss</Explain>} total={view.totalSteps} points={losses.length + evalLoss.length} height={height} range={zeroBasedAxis}>
        <Line data={losses} dataKey="loss" name="train" stroke={COLORS.train} dot={false} isAnimationActive={false} />
        <Line data={evalLoss} dataKey="value" name="validation" stroke={COLORS.eval} isAnimationActive={false} />
      </StepChart>
      <StepChart
        title={choosing ? <>Validation <Explain term="accuracy">accuracy</Explain> (the right choice)</>
          : classes
          ? <>Validation <Explain term="accuracy">accuracy</Explain> and <Explain term="macroF1">macro-F1</Explain></>
          : squad ? <>Validation exact match and F1 (SQuAD)</>
          : tagging ? <>Validation <Explain term="entityF1">entity F1</Explain> and <Explain term="tokenAccuracy">token accuracy</Explain></>
          : multi ? <>Validation <Explain term="microF1">micro-F1</Explain> and <Explain term="macroF1">macro-F1</Explain></>
          : <>Validation <Explain term="mse">MSE</Explain> and <Explain term="pearson">Pearson</Explain></>}
        total={view.totalSteps} points={first.length} height={height} range={shares?.domain ?? zeroBasedAxis} ticks={shares?.ticks}>
        {/* Accuracy and macro-F1 are often equal on balanced data: the wide line stays visible under the dashed one. */}
        <Line data={first} dataKey="value" name={classes ? 'accuracy' : squad ? 'exact match' : tagging ? 'entity F1' : multi ? 'micro-F1' : 'MSE'} stroke={COLORS.eval} strokeWidth={4} strokeOpacity={0.7} isAnimationActive={false} />
        <Line data={second} dataKey="value" name={classes || multi ? 'macro-F1' : squad ? 'F1' : tagging ? 'token accuracy' : 'Pearson'} stroke={COLORS.second} strokeDasharray="6 4" strokeWidth={2}
          dot={{ r: 3 }} isAnimationActive={false} />
      </StepChart>
      <StepChart title={<Explain term="learningRate">Learning rate</Explain>} total={view.totalSteps} points={view.points.length} height={height} range={zeroBasedAxis}
        format={(v) => (v === 0 ? '0' : v.toExponential(1))}>
        <Line data={view.points} dataKey="lr" name="learning rate" stroke={COLORS.train} dot={false} isAnimationActive={false} />
      </StepChart>
    </div>
  );
}
