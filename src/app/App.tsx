import { DatasetStep } from './components/DatasetStep.tsx';
import { Header } from './components/Header.tsx';
import { ModelStep } from './components/ModelStep.tsx';
import { Notices } from './components/Notices.tsx';
import { SettingsPanel } from './components/SettingsPanel.tsx';
import { useStudio } from './store.ts';

export function App() {
  const settingsOpen = useStudio((s) => s.settingsOpen);
  return (
    <>
      <a className="skip-link" href="#steps">Skip to the steps</a>
      <Header />
      <main>
        {settingsOpen && <SettingsPanel />}
        <Notices />
        <div id="steps" className="steps">
          <ModelStep />
          <DatasetStep />
        </div>
      </main>
    </>
  );
}
