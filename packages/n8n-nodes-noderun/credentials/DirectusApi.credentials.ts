import type { ICredentialType } from 'n8n-workflow';
import { credential } from './credential';

/** The `directusApi` credential, as noderun exports it (`noderun definitions --credentials --n8n`). */
export class DirectusApi implements ICredentialType {
	name = 'directusApi'; // generate.js checks that the export has this credential
	displayName = credential.displayName;
	documentationUrl = credential.documentationUrl;
	icon = 'file:directus.svg' as const;
	properties = credential.properties;
	authenticate = credential.authenticate;
	test = credential.test;
}
