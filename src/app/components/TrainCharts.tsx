import type { ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import type { EvalEvent } from '../../core/train/events.ts';
import type { StepPoint, TrainingView } from '../training-view.ts';

const CHART_STYLE = { width: '100%', height: 200 };
const COLORS = { train: '#4338ca', eval: '#d97706', second: '#059669' };

const evalPoints = (evals: EvalEvent[], pick: (e: EvalEvent) => number | undefined) =>
  evals.flatMap((e) => {
    const value = pick(e);
    return value === undefined || !Number.isFinite(value) ? [] : [{ step: e.step, value }];
  });

/** A line chart over optimizer steps, its point count on the figure for tests and screen readers. */
function StepChart({ title, total, points, format, children }: { title: string; total?: number; points: number; format?: (value: number) => string; children: ReactNode }) {
  return (
    <figure className="chart" data-points={points}>
      <figcaption>{title}</figcaption>
      <LineChart style={CHART_STYLE} responsive margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
        <CartesianGrid strokeDasharray="3 3" stroke="var(--border)" />
        <XAxis dataKey="step" type="number" domain={[0, total ?? 'dataMax']} allowDecimals={false} tick={{ fontSize: 11 }} />
        <YAxis width={52} tick={{ fontSize: 11 }} domain={['auto', 'auto']} tickFormatter={format} />
        <Tooltip isAnimationActive={false} formatter={format ? (value) => format(Number(value)) : undefined} />
        <Legend wrapperStyle={{ fontSize: 12 }} />
        {children}
      </LineChart>
    </figure>
  );
}

/** Loss (training per step, validation per evaluation), the task's metrics, and the learning rate, as the run goes. */
export function TrainCharts({ view, task }: { view: TrainingView; task: 'classification' | 'regression' }) {
  const losses: StepPoint[] = view.points.filter((p) => p.loss !== undefined && Number.isFinite(p.loss));
  const evalLoss = evalPoints(view.evals, (e) => e.metrics.loss);
  const first = task === 'classification' ? evalPoints(view.evals, (e) => e.metrics.accuracy) : evalPoints(view.evals, (e) => e.metrics.mse);
  const second = task === 'classification' ? evalPoints(view.evals, (e) => e.metrics.macroF1) : evalPoints(view.evals, (e) => e.metrics.pearson);
  return (
    <div className="charts">
      <StepChart title="Loss" total={view.totalSteps} points={losses.length + evalLoss.length}>
        <Line data={losses} dataKey="loss" name="train" stroke={COLORS.train} dot={false} isAnimationActive={false} />
        <Line data={evalLoss} dataKey="value" name="validation" stroke={COLORS.eval} isAnimationActive={false} />
      </StepChart>
      <StepChart title={task === 'classification' ? 'Validation accuracy and macro-F1' : 'Validation MSE and Pearson'} total={view.totalSteps} points={first.length}>
        <Line data={first} dataKey="value" name={task === 'classification' ? 'accuracy' : 'MSE'} stroke={COLORS.eval} isAnimationActive={false} />
        <Line data={second} dataKey="value" name={task === 'classification' ? 'macro-F1' : 'Pearson'} stroke={COLORS.second} isAnimationActive={false} />
      </StepChart>
      <StepChart title="Learning rate" total={view.totalSteps} points={view.points.length} format={(v) => (v === 0 ? '0' : v.toExponential(1))}>
        <Line data={view.points} dataKey="lr" name="learning rate" stroke={COLORS.train} dot={false} isAnimationActive={false} />
      </StepChart>
    </div>
  );
}
