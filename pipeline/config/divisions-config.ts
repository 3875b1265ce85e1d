import { z } from 'zod';
import { loadConfig } from './load-config.js';

export const DivisionsConfigSchema = z
  .strictObject({
    $schema: z.string().optional(),
    description: z.string().optional(),
    divisions: z.array(z.strictObject({ id: z.number().int().min(0), name: z.string().min(1) })).min(1),
  })
  .superRefine((config, ctx) => {
    const ids = config.divisions.map((d) => d.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i)
        ctx.addIssue({
          code: 'custom',
          path: ['divisions', i, 'id'],
          message: `duplicate division id ${id}`,
        });
    });
    if (!ids.includes(GENERAL_DIVISION)) {
      ctx.addIssue({
        code: 'custom',
        path: ['divisions'],
        message: `division ${GENERAL_DIVISION} (general) must be listed`,
      });
    }
  });

export type DivisionsConfig = z.output<typeof DivisionsConfigSchema>;

/** Division 0 is the general model: trained on all data, and the fallback for the others. */
export const GENERAL_DIVISION = 0;

export function loadDivisionsConfig(file: string): DivisionsConfig {
  return loadConfig(file, DivisionsConfigSchema);
}
