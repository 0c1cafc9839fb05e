import { CloudSqlSettings } from '../../config/settingsUpdate';
import { SettingsErrors } from '../../config/validation';

export interface SectionProps {
  settings: CloudSqlSettings;
  onChange: (settings: CloudSqlSettings) => void;
  errors: SettingsErrors;
}
