import type { IDataObject, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import * as workflow from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { credential } from '../../credentials/credential';
import { binding } from '../Directus/native';
import { description } from './description';

/**
 * The Directus Trigger: a polling trigger on noderun's change feed (the Rust core of `noderun
 * trigger directus`). Each poll reads Directus's activity log from the cursor kept in the
 * workflow's static data and returns one item per create, update or delete of the watched
 * collections, in the order Directus recorded them; n8n keeps the new cursor once the execution
 * succeeded, so a change is neither lost while n8n is down nor started twice. No public URL and
 * no Directus flow are needed.
 */
export class DirectusTrigger implements INodeType {
	description: INodeTypeDescription = description;

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const node = this.getNode();
		const data = await this.getCredentials('directusApi');
		if (typeof data.url === 'string' && 'assertCredentialAllowsUrl' in workflow) {
			workflow.assertCredentialAllowsUrl({ node, credentialData: data, url: data.url });
		}
		const names = new Set(credential.properties.map((p) => p.name));
		const credentials = Object.fromEntries(Object.entries(data).filter(([k]) => names.has(k)));
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const manual = this.getMode() === 'manual';
		const staticData = this.getWorkflowStaticData('node');
		let result;
		try {
			result = await binding(node).poll({
				credentials,
				parameters: {
					collections: this.getNodeParameter('collections') as string,
					events: this.getNodeParameter('events') as string[],
					fields: options.fields,
					filter: options.filter,
				},
				cursor: manual ? null : (staticData.cursor ?? null),
				manual,
			});
		} catch (e) {
			throw new NodeOperationError(node, (e as Error).message);
		}
		for (const warning of result.warnings) this.logger.warn(`Directus Trigger: ${warning}`);
		// an editor's test run shows the newest change and leaves the cursor alone
		// kept as its JSON text: n8n's static data turns nested arrays into objects and numbers
		// beyond 32 bits reach the addon as floats, and the cursor holds both
		if (!manual) staticData.cursor = JSON.stringify(result.cursor);
		if (result.items.length === 0) return null;
		return [result.items as INodeExecutionData[]];
	}
}
