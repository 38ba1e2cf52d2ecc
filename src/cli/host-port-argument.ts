import { InvalidArgumentError } from 'commander';
import { parseHostPort, type HostPort } from '../common/host-port.js';

/** A commander argument parser for `[HOST:]PORT` (`--tcp`, `--control`), its error showing `examplePort`. */
export function hostPortArgument(examplePort: number): (value: string) => HostPort {
  return (value) => {
    try {
      return parseHostPort(value, examplePort);
    } catch (err) {
      throw new InvalidArgumentError((err as Error).message);
    }
  };
}
