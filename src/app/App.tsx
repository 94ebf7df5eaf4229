import { AdapterStep } from './components/AdapterStep.tsx';
import { ClassroomWelcome } from './components/ClassroomWelcome.tsx';
import { DatasetStep } from './components/DatasetStep.tsx';
import { ExportStep } from './components/ExportStep.tsx';
import { Header } from './components/Header.tsx';
import { HubLinkBanner } from './components/HubLinkBanner.tsx';
import { ModelStep } from './components/ModelStep.tsx';
import { Notices } from './components/Notices.tsx';
import { SettingsPanel } from './components/SettingsPanel.tsx';
import { Stepper } from './components/Stepper.tsx';
import { TrainStep } from './components/TrainStep.tsx';
import { TryStep } from './components/TryStep.tsx';
import { useStudio } from './store.ts';

export function App() {
  const settingsOpen = useStudio((s) => s.settingsOpen);
  return (
    <>
      <a className="skip-link" href="#steps">Skip to the steps</a>
      <Header />
      <Stepper />
      <main>
        <HubLinkBanner />
        {settingsOpen && <SettingsPanel />}
        <ClassroomWelcome />
        <Notices />
        <div id="steps" className="steps">
          <ModelStep />
          <AdapterStep />
          <DatasetStep />
          <TrainStep />
          <TryStep />
          <ExportStep />
        </div>
      </main>
    </>
  );
}
